import { describe, expect, it } from 'vitest';
import { parseRoute, roomPath } from './router.js';

describe('parseRoute', () => {
  it('knows the home screen and rooms', () => {
    expect(parseRoute('/')).toEqual({ route: { kind: 'home' } });
    expect(parseRoute('/r/general')).toEqual({ route: { kind: 'room', room: 'general' } });
    expect(parseRoute('/r/dm-1-2')).toEqual({ route: { kind: 'room', room: 'dm-1-2' } });
  });

  it('asks for the canonical address when the path is not it', () => {
    expect(parseRoute('/r/General')).toEqual({ route: { kind: 'room', room: 'general' }, canonical: '/r/general' });
    expect(parseRoute('/r/general/')).toEqual({ route: { kind: 'room', room: 'general' }, canonical: '/r/general' });
  });

  it('sends anything else home', () => {
    for (const p of ['/nowhere', '/r/', '/r']) {
      expect(parseRoute(p)).toEqual({ route: { kind: 'home' }, canonical: '/' });
    }
  });

  it('says why a room address cannot be a room instead of going home', () => {
    expect(parseRoute('/r/-bad').route).toEqual({ kind: 'bad-room', name: '-bad', reason: 'Room names start with a letter or a digit.' });
    expect(parseRoute('/r/a%2Fb').route).toMatchObject({ kind: 'bad-room', name: 'a/b', reason: 'Room names use only letters a–z, digits, - and _.' });
    expect(parseRoute('/r/a/b').route).toMatchObject({ kind: 'bad-room', name: 'a/b' });
    expect(parseRoute('/r/%E0%A4%A').route).toMatchObject({ kind: 'bad-room', reason: 'The address is not valid text.' });
    expect(parseRoute(`/r/${'x'.repeat(65)}`).route).toMatchObject({ kind: 'bad-room', reason: 'Room names are at most 64 characters; this one has 65.' });
  });

  it('builds room paths that parse back', () => {
    expect(parseRoute(roomPath('team_1-a'))).toEqual({ route: { kind: 'room', room: 'team_1-a' } });
  });
});
