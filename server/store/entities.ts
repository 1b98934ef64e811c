/**
 * The schema, declared once per entity with MikroORM's `defineEntity`; each class takes its
 * fields from its schema (the interface of the same name) and is registered with `setClass`,
 * so queries return real `User`, `Room`… instances. MikroORM 6.6 has no `Schema.class` to
 * extend (7 has), and this is the same thing: a named class whose type is inferred from the
 * one declaration. migrations/ must build exactly this schema (test/migrations.test.ts).
 *
 * Names are stored lower-cased and unique, which makes them case-insensitively unique since
 * input is lowered first.
 */
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { FullTextType } from '@mikro-orm/postgresql';

const createdNow = () => new Date();

export const UserSchema = defineEntity({
  name: 'User',
  tableName: 'users',
  properties: {
    id: p.integer().primary().autoincrement(),
    name: p.string().length(32).unique('users_name_unique'),
    passwordHash: p.text(),
    createdAt: p.datetime(3).onCreate(createdNow),
  },
});
export interface User extends InferEntity<typeof UserSchema> {}
export class User {}
UserSchema.setClass(User);

export const SessionSchema = defineEntity({
  name: 'Session',
  tableName: 'sessions',
  properties: {
    /** Random 32-byte id, base64url; the only thing the sealed cookie carries. */
    id: p.string().length(64).primary(),
    user: () => p.manyToOne(User).deleteRule('cascade').index('sessions_user_id_index'),
    createdAt: p.datetime(3).onCreate(createdNow),
    expiresAt: p.datetime(3),
  },
});
export interface Session extends InferEntity<typeof SessionSchema> {}
export class Session {}
SessionSchema.setClass(Session);

export const RoomSchema = defineEntity({
  name: 'Room',
  tableName: 'rooms',
  properties: {
    id: p.integer().primary().autoincrement(),
    name: p.string().length(64).unique('rooms_name_unique'),
    kind: p.enum(['public', 'direct']),
    topic: p.string().length(200).nullable(),
    lastSeq: p.integer().default(0),
    lastAt: p.datetime(3).nullable(),
    createdAt: p.datetime(3).onCreate(createdNow),
  },
});
export interface Room extends InferEntity<typeof RoomSchema> {}
export class Room {}
RoomSchema.setClass(Room);

export type RoomKind = Room['kind'];

/**
 * Who belongs to a room. A direct room has exactly its two members, written when it is made;
 * a public room admits everyone, and its rows are the people who joined it and have not left
 * (what the sidebar lists as "your rooms").
 */
export const RoomMemberSchema = defineEntity({
  name: 'RoomMember',
  tableName: 'room_members',
  properties: {
    room: () => p.manyToOne(Room).primary().deleteRule('cascade'),
    user: () => p.manyToOne(User).primary().deleteRule('cascade').index('room_members_user_id_index'),
  },
});
export interface RoomMember extends InferEntity<typeof RoomMemberSchema> {}
export class RoomMember {}
RoomMemberSchema.setClass(RoomMember);

export const MessageSchema = defineEntity({
  name: 'Message',
  tableName: 'messages',
  uniques: [
    { name: 'messages_room_seq_unique', properties: ['room', 'seq'] },
    { name: 'messages_room_user_cid_unique', properties: ['room', 'user', 'cid'] },
  ],
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    // No foreign keys here, on purpose: their per-row triggers were 60% of a group commit's
    // statement (EXPLAIN ANALYZE, 400 rows: 13.5 of 22.7 ms). Only the group commit inserts,
    // in a statement that locks each room row first; users come from live sessions; Parley
    // deletes neither rooms nor users, and history reads tolerate a missing user.
    room: () => p.manyToOne(Room).createForeignKeyConstraint(false),
    seq: p.integer(),
    // Nor an index on user_id: nothing looks messages up by user, and each index is paid per row.
    user: () => p.manyToOne(User).createForeignKeyConstraint(false),
    body: p.text(),
    cid: p.string().length(64),
    createdAt: p.datetime(3).onCreate(createdNow),
    /**
     * A row is a message (`msg`) or an event in the room's sequence that changed an earlier
     * message (`edit`, `delete`; `targetSeq` names it). Events take a seq like messages, so
     * a client that catches up with `since` replays them and never keeps stale text.
     */
    kind: p.enum(['msg', 'edit', 'delete']).default('msg'),
    targetSeq: p.integer().nullable(),
    /** On a message: when it was last edited, and when deleted (its body is then emptied). */
    editedAt: p.datetime(3).nullable(),
    deletedAt: p.datetime(3).nullable(),
  },
});
export interface Message extends InferEntity<typeof MessageSchema> {}
export class Message {}
MessageSchema.setClass(Message);

/**
 * The full-text index of messages, apart from the messages table on purpose: a GIN index on
 * messages cost the group commit a third of its throughput (bench:persistence, 100 rooms and
 * 200 senders, three runs each: 23,500-26,600 msg/s without it, 14,500-18,700 with it). Rows
 * are added after the commit, in batches, by the search indexer (store/search-index.ts); an
 * edit or delete changes its row in its own transaction.
 */
export const MessageSearchSchema = defineEntity({
  name: 'MessageSearch',
  tableName: 'message_search',
  indexes: [{ name: 'message_search_tsv_index', properties: ['tsv'], type: 'fulltext' }],
  properties: {
    messageId: p.bigint('number').primary().autoincrement(false),
    roomId: p.integer(),
    tsv: p.type(FullTextType),
  },
});
export interface MessageSearch extends InferEntity<typeof MessageSearchSchema> {}
export class MessageSearch {}
MessageSearchSchema.setClass(MessageSearch);

/** How far each user has read each room: the last seq they have seen. */
export const ReadPositionSchema = defineEntity({
  name: 'ReadPosition',
  tableName: 'read_positions',
  properties: {
    user: () => p.manyToOne(User).primary().deleteRule('cascade'),
    room: () => p.manyToOne(Room).primary().deleteRule('cascade'),
    seq: p.integer(),
  },
});
export interface ReadPosition extends InferEntity<typeof ReadPositionSchema> {}
export class ReadPosition {}
ReadPositionSchema.setClass(ReadPosition);

/** Every entity, listed for the ORM (no discovery by folder). */
export const entities = [UserSchema, SessionSchema, RoomSchema, RoomMemberSchema, MessageSchema, ReadPositionSchema, MessageSearchSchema];
