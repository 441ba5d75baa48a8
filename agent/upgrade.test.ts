// Which advertised bundles an agent switches to, and what --auto-upgrade refuses outside install.sh.
import { describe, expect, it } from 'vitest';
import { agentMain } from './cli.ts';
import { wantsBundle } from './upgrade.ts';

const sha256 = 'a'.repeat(64);

describe('automatic upgrades', () => {
  it('switches to a newer bundle, or to any other one when the control plane refuses this version', () => {
    expect(wantsBundle('0.1.0', { version: '0.1.1', sha256 }, false)).toBe(true);
    expect(wantsBundle('0.1.0', { version: '0.10.0', sha256 }, false)).toBe(true);
    expect(wantsBundle('0.2.0', { version: '0.1.9', sha256 }, false)).toBe(false);
    expect(wantsBundle('0.2.0', { version: '0.2.0', sha256 }, false)).toBe(false);
    expect(wantsBundle('0.2.0', { version: '0.1.9', sha256 }, true)).toBe(true);
    expect(wantsBundle('0.2.0', { version: '0.2.0', sha256 }, true)).toBe(false);
  });

  it('refuses --auto-upgrade for an agent that install.sh did not install', async () => {
    await expect(
      agentMain(['start', '--url', 'mqtt://127.0.0.1:1', '--secret', 's', '--auto-upgrade'], { env: {} }),
    ).rejects.toThrow(/--auto-upgrade needs an agent installed by install.sh/);
  });

  it('names a bad --wait', async () => {
    await expect(agentMain(['upgrade', '--wait', 'soon'], { env: {} })).rejects.toThrow(
      /--wait: "soon" is not a duration like 30s, 10m or 1h/,
    );
  });
});
