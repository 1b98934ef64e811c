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
    for (const p of ['/nowhere', '/r/', '/r/-bad', '/r/a%2Fb', '/r/%E0%A4%A', '/r/a/b', `/r/${'x'.repeat(65)}`]) {
      expect(parseRoute(p)).toEqual({ route: { kind: 'home' }, canonical: '/' });
    }
  });

  it('builds room paths that parse back', () => {
    expect(parseRoute(roomPath('team_1-a'))).toEqual({ route: { kind: 'room', room: 'team_1-a' } });
  });
});
