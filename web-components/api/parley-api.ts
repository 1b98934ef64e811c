/** The HTTP endpoints the browser uses, typed as the contract describes them. */
import type { Member, RoomListing, RoomReading } from '../../server/protocol/frames.js';
import { requestJson } from './http.js';

export type User = Member;

/** A room as GET /api/rooms lists it: what `directory` frames announce, who is in it now, and the reader's unread state. */
export interface RoomSummary extends RoomListing, Partial<RoomReading> {
  online: number;
}

/** One page of GET /api/rooms: `next` is the `after` of the page that follows, null on the last. */
export interface RoomPage {
  rooms: RoomSummary[];
  next: string | null;
}

export interface Contact {
  id: number;
  name: string;
  online: boolean;
}

export interface Credentials {
  username: string;
  password: string;
}

export async function currentUser(): Promise<User> {
  return (await requestJson<{ user: User }>('GET', '/api/me')).user;
}

export async function signUp(c: Credentials): Promise<User> {
  return (await requestJson<{ user: User }>('POST', '/api/auth/signup', c)).user;
}

export async function signIn(c: Credentials): Promise<User> {
  return (await requestJson<{ user: User }>('POST', '/api/auth/login', c)).user;
}

export async function signOut(): Promise<void> {
  await requestJson<void>('POST', '/api/auth/logout');
}

/** One page of the rooms the caller can see, by name after `after` (see room-pages.ts). */
export async function listRoomsPage(after?: string): Promise<RoomPage> {
  const query = after === undefined ? '' : `?after=${encodeURIComponent(after)}`;
  return requestJson<RoomPage>('GET', `/api/rooms${query}`);
}

/** Every room the caller is a member of (public rooms joined, direct rooms), up to 500. */
export async function listMyRooms(): Promise<RoomSummary[]> {
  return (await requestJson<RoomPage>('GET', '/api/rooms?joined=1&limit=500')).rooms;
}

/** Joins a public room's members without opening it, or leaves it. */
export async function setMembership(room: string, member: boolean): Promise<void> {
  await requestJson<void>(member ? 'PUT' : 'DELETE', `/api/rooms/${encodeURIComponent(room)}/membership`);
}

export async function setTopic(room: string, topic: string | null): Promise<RoomSummary> {
  return (await requestJson<{ room: RoomSummary }>('PATCH', `/api/rooms/${encodeURIComponent(room)}`, { topic })).room;
}

/** One room the caller can open, with who is in it now. */
export async function roomInfo(name: string): Promise<{ room: RoomSummary; members: Member[] }> {
  return requestJson<{ room: RoomSummary; members: Member[] }>('GET', `/api/rooms/${encodeURIComponent(name)}`);
}

export async function listUsers(): Promise<Contact[]> {
  return (await requestJson<{ users: Contact[] }>('GET', '/api/users')).users;
}

/** The direct room with `username`, created on first use. */
export async function openDirect(username: string): Promise<RoomSummary> {
  return (await requestJson<{ room: RoomSummary }>('POST', '/api/dms', { user: username })).room;
}
