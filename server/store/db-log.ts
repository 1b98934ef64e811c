/** Where the embedded database reports what it does; 'warn' marks what an operator should see. */
export type DbLog = (message: string, level?: 'info' | 'warn') => void;
