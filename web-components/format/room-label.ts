/** How a room is named on screen: direct rooms by the other person, public ones by name. */
import type { RoomSummary } from '../api/parley-api.js';

export function roomLabel(name: string, summary: RoomSummary | undefined): string {
  if (summary?.kind === 'direct' && summary.with) return summary.with.name;
  return name;
}

export function isDirectRoomName(name: string): boolean {
  return name.startsWith('dm-');
}
