/**
 * Every migration, in order. Listed explicitly so they load the same way under tsx,
 * vitest and a bundler; `npm run migrate -- --create` generates new files beside this one
 * (add each to this list).
 */
import { Migration20261123105644 } from './Migration20261123105644.js';
import { Migration20261123122818 } from './Migration20261123122818.js';
import { Migration20261123123435 } from './Migration20261123123435.js';
import { Migration20261202221359 } from './Migration20261202221359.js';

export const migrationsList = [
  { name: 'Migration20261123105644', class: Migration20261123105644 },
  // Drops the messages foreign keys: see the note on MessageSchema in server/store/entities.ts.
  { name: 'Migration20261123122818', class: Migration20261123122818 },
  // Drops messages(user_id): nothing reads by it, and every index costs each group commit.
  { name: 'Migration20261123123435', class: Migration20261123123435 },
  // Read positions; edits and deletes as events in a room's sequence; the search table.
  { name: 'Migration20261202221359', class: Migration20261202221359 },
];
