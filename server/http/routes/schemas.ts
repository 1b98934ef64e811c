/** Request fields more than one route reads, as zod schemas. */
import { z } from 'zod';
import { PASSWORD_MAX, PASSWORD_MIN, USERNAME } from '../../protocol/names.js';

/** A username as typed: lower-cased, then held to the naming rule. */
export const Username = z.string().transform((s) => s.toLowerCase()).pipe(z.string().regex(USERNAME));

export const Password = z.string().min(PASSWORD_MIN).max(PASSWORD_MAX);
