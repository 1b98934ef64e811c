/** Initials avatars: letters and a hue that stay the same for a name. Pure and browser-safe. */

export function initials(name: string): string {
  // Digits make poor initials ("A9" for alice_9): take the first letter of up to two words.
  const letters = name
    .split(/[_\-\s.]+/)
    .map((w) => /\p{L}/u.exec(w)?.[0])
    .filter((c): c is string => c !== undefined);
  return (letters.slice(0, 2).join('') || name.slice(0, 1)).toUpperCase();
}

/** 0..359, spread by a small string hash so neighbours in a list rarely share a colour. */
export function avatarHue(name: string): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  // FNV alone leaves names with a common suffix (alice_x7, bob_x7) close together: mix the bits.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return (h >>> 0) % 360;
}
