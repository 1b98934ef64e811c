/** Entry point of `npm run bench`; the fan-out benchmark is not written yet. */
console.error('parley bench: the fan-out benchmark is not implemented yet (see bench/README.md)');
process.exit(1);
