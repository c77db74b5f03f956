/**
 * The web chat page in real Chromium (DESIGN §6): browsers and an `nc` user in the same rooms.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { serve } from '../../src/server/serve.js';
import { startServe, type ServeProcess } from '../helpers/cli.js';
import { lineClient } from '../helpers/line-client.js';
import { freePort, startRedis } from '../helpers/redis.js';
import { startServer } from '../helpers/socket.js';
import { launchChromium, logTexts, onlyLoopback, openChatPage, say } from './browser.js';

let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
}, 30_000);

afterAll(async () => {
  await browser?.close();
});

/** A tcp and a ws chat listener sharing one hub, as `switchboard serve`'s defaults. */
async function sharedHub(hub: string): Promise<{ tcpPort: number; pageUrl: string }> {
  const server = await startServer([
    `chat@tcp://127.0.0.1:0?hub=${hub}`,
    `chat@ws://127.0.0.1:0/chat?hub=${hub}`,
  ]);
  return {
    tcpPort: server.listeners[0]!.port,
    pageUrl: `http://127.0.0.1:${server.listeners[1]!.port}/`,
  };
}

describe('web chat page in Chromium', () => {
  it('two browsers and an nc user share the lobby: lines, actions, private messages', async () => {
    const { tcpPort, pageUrl } = await sharedHub('three');
    const nc = await lineClient(tcpPort);
    await nc.expect(/^\* welcome/);
    nc.send('/nick carol');
    await nc.expect(/^\* you are now carol$/);

    const a = await openChatPage(browser, pageUrl);
    const b = await openChatPage(browser, pageUrl);
    onTestFinished(() => a.page.context().close());
    onTestFinished(() => b.page.context().close());

    // Nick change by keyboard: the Nick field, Enter.
    for (const [p, nick] of [
      [a, 'alice'],
      [b, 'bob'],
    ] as const) {
      const field = p.page.getByLabel('Nick', { exact: true });
      await field.fill(nick);
      await field.press('Enter');
      await expect.poll(() => p.page.locator('#status').textContent()).toBe(`connected as ${nick}`);
    }

    // Each one's line reaches the other two.
    await say(a.page, 'hello from alice');
    await nc.expect(/^<alice> hello from alice$/);
    await expect.poll(() => logTexts(b.page)).toContain('alicehello from alice');

    await say(b.page, 'hello from bob');
    await nc.expect(/^<bob> hello from bob$/);
    await expect.poll(() => logTexts(a.page)).toContain('bobhello from bob');

    nc.send('hello from nc');
    await expect.poll(() => logTexts(a.page)).toContain('carolhello from nc');
    await expect.poll(() => logTexts(b.page)).toContain('carolhello from nc');
    // Your own line is shown to you (the hub does not echo it).
    expect(await logTexts(a.page)).toContain('alicehello from alice');

    // /me: an action, rendered apart from a notice.
    await say(a.page, '/me waves');
    await nc.expect(/^<alice> \* waves$/);
    const action = b.page.locator('#log li.action').last();
    await expect.poll(() => action.textContent()).toBe('alicewaves');
    expect(await b.page.locator('#log li.notice', { hasText: 'waves' }).count()).toBe(0);

    // /msg: only the addressee sees it, as private.
    await say(b.page, '/msg alice psst');
    await expect
      .poll(() => a.page.locator('#log li.private').allTextContents())
      .toContain('private from bob: psst');
    await expect
      .poll(() => b.page.locator('#log li.private').allTextContents())
      .toContain('private to alice: psst');

    // /who fills the member list.
    await expect
      .poll(async () => (await b.page.locator('#members li').allTextContents()).sort())
      .toEqual(['alice', 'bob (you)', 'carol']);

    expect(a.errors).toEqual([]);
    expect(b.errors).toEqual([]);
    expect(onlyLoopback(a.requests), a.requests.join(' ')).toBe(true);
    expect(onlyLoopback(b.requests), b.requests.join(' ')).toBe(true);
  }, 45_000);

  it('renders what an nc user sends as text: no element, no dialog, no escape sequence', async () => {
    const { tcpPort, pageUrl } = await sharedHub('hostile');
    const p = await openChatPage(browser, pageUrl);
    onTestFinished(() => p.page.context().close());
    const nc = await lineClient(tcpPort);
    await nc.expect(/^\* welcome/);
    nc.send('/nick mallory');
    await nc.expect(/^\* you are now mallory$/);

    // One line per turn: see the burst test below for why.
    for (const [line, shown] of [
      ['<img src=x onerror=alert(1)>', 'mallory<img src=x onerror=alert(1)>'],
      ['<script>alert(2)</script><b>bold</b>', 'mallory<script>alert(2)</script><b>bold</b>'],
      ['\x1b[31mred\x1b[0m text\x07', 'malloryred text'],
    ] as const) {
      nc.send(line);
      await expect.poll(() => logTexts(p.page), { timeout: 5000 }).toContain(shown);
    }
    const texts = await logTexts(p.page);
    expect(texts).toContain('mallory<img src=x onerror=alert(1)>');
    expect(texts).toContain('mallory<script>alert(2)</script><b>bold</b>');
    expect(await p.page.locator('img').count()).toBe(0);
    expect(await p.page.locator('#log script, #log b').count()).toBe(0);
    expect(texts.join('\n')).not.toContain('\x1b');
    // Give a would-be onerror a moment to fire.
    await p.page.waitForTimeout(300);
    expect(p.dialogs).toEqual([]);
    expect(p.errors).toEqual([]);
    expect(onlyLoopback(p.requests), p.requests.join(' ')).toBe(true);
  }, 30_000);

  it('switches rooms, shows the room list and the history on join, keeps the typed line', async () => {
    const { tcpPort, pageUrl } = await sharedHub('rooms');
    const nc = await lineClient(tcpPort);
    await nc.expect(/^\* welcome/);
    nc.send('/nick dave');
    await nc.expect(/^\* you are now dave$/);
    nc.send('/join dev');
    await nc.expect(/^\* you joined dev/);
    nc.send('earlier in dev');

    const p = await openChatPage(browser, pageUrl);
    onTestFinished(() => p.page.context().close());
    // The room list (from /rooms) names dev; Join room by keyboard.
    await expect.poll(() => p.page.locator('#rooms li').allTextContents()).toContain('#dev (1)');
    const join = p.page.getByLabel('Join room', { exact: true });
    await join.fill('dev');
    await join.press('Enter');
    await expect.poll(() => p.page.locator('#room-title').textContent()).toBe('#dev');
    // History on join, marked as such.
    await expect
      .poll(() => p.page.locator('#log li.history.line').allTextContents())
      .toContain('daveearlier in dev');
    await expect
      .poll(async () => (await p.page.locator('#members li').allTextContents()).sort())
      .toContain('dave');

    // A half-typed line survives lines arriving.
    const input = p.page.getByLabel('Message', { exact: true });
    await input.fill('half typed');
    nc.send('while you type');
    await expect.poll(() => logTexts(p.page)).toContain('davewhile you type');
    expect(await input.inputValue()).toBe('half typed');

    // Back to the lobby by the room list.
    await p.page.locator('#rooms button', { hasText: '#lobby' }).click();
    await expect.poll(() => p.page.locator('#room-title').textContent()).toBe('#lobby');
    expect(await input.inputValue()).toBe('half typed');
    expect(onlyLoopback(p.requests), p.requests.join(' ')).toBe(true);
  }, 30_000);

  it('is usable by keyboard alone: focus starts in the message box, Tab walks the labelled controls', async () => {
    const { tcpPort, pageUrl } = await sharedHub('keys');
    const p = await openChatPage(browser, pageUrl);
    onTestFinished(() => p.page.context().close());
    const nc = await lineClient(tcpPort);
    await nc.expect(/^\* welcome/);
    const focused = (): Promise<string> =>
      p.page.evaluate<string>(
        `document.activeElement ? document.activeElement.id || document.activeElement.textContent : ''`,
      );
    expect(await focused()).toBe('message-input');
    await p.page.keyboard.type('typed without a mouse');
    await p.page.keyboard.press('Enter');
    await nc.expect(/^<guest-\d+> typed without a mouse$/);

    await expect.poll(() => p.page.locator('#rooms li').allTextContents()).toEqual(['#lobby (2)']);
    await p.page.locator('#nick-input').focus();
    const order: string[] = [];
    for (let i = 0; i < 6; i++) {
      await p.page.keyboard.press('Tab');
      order.push(await focused());
    }
    expect(order).toEqual(['Change', '#lobby (2)', 'join-input', 'Join', 'log', 'message-input']);
    // Every field has a label.
    for (const label of ['Nick', 'Join room', 'Message']) {
      expect(await p.page.getByLabel(label, { exact: true }).count(), label).toBe(1);
    }
  }, 30_000);

  it('stays where the reader scrolled, and follows new lines at the bottom', async () => {
    const { tcpPort, pageUrl } = await sharedHub('scroll');
    const p = await openChatPage(browser, pageUrl, { width: 390, height: 844 });
    onTestFinished(() => p.page.context().close());
    const nc = await lineClient(tcpPort);
    await nc.expect(/^\* welcome/);
    for (let i = 0; i < 30; i++) await say(p.page, `line ${i}`);
    await expect
      .poll(() => logTexts(p.page))
      .toEqual(expect.arrayContaining([expect.stringMatching(/line 29$/)]));
    // Evaluated as text: the tests' tsconfig has no DOM types.
    const scroll = (): Promise<{ gap: number; top: number }> =>
      p.page.evaluate<{ gap: number; top: number }>(
        `(() => { const l = document.getElementById('log'); return { gap: l.scrollHeight - l.scrollTop - l.clientHeight, top: l.scrollTop }; })()`,
      );
    expect((await scroll()).gap).toBeLessThan(50);

    await p.page.evaluate(`document.getElementById('log').scrollTop = 0`);
    nc.send('while scrolled up');
    await expect
      .poll(() => logTexts(p.page))
      .toEqual(expect.arrayContaining([expect.stringMatching(/while scrolled up$/)]));
    expect((await scroll()).top).toBe(0);
    expect(await p.page.locator('#jump').isVisible()).toBe(true);
    await p.page.locator('#jump').click();
    expect((await scroll()).gap).toBeLessThan(50);
  }, 30_000);

  // DESIGN §6: the hub joins a room's lines of one turn into one buffer for byte streams; a
  // WebSocket member must still get one message per line (room-batch.ts `joinable`).
  it('a burst of nc lines reaches the page one line per WebSocket message', async () => {
    const { tcpPort, pageUrl } = await sharedHub('burst');
    const p = await openChatPage(browser, pageUrl);
    onTestFinished(() => p.page.context().close());
    const nc = await lineClient(tcpPort);
    await nc.expect(/^\* welcome/);
    nc.socket.write('one\ntwo\nthree\n');
    await expect
      .poll(() => logTexts(p.page), { timeout: 3000 })
      .toEqual(expect.arrayContaining([expect.stringMatching(/one$/), expect.stringMatching(/two$/)]));
  }, 20_000);

  it('reconnects after the server restarts on the same port, with the same nick', async () => {
    const specs = (port: number): string[] => [`chat@ws://127.0.0.1:${port}/chat?hub=restart`];
    let server = await serve(specs(0));
    const port = server.listeners[0]!.port;
    onTestFinished(() => server.close());
    const p = await openChatPage(browser, `http://127.0.0.1:${port}/`);
    onTestFinished(() => p.page.context().close());
    const field = p.page.getByLabel('Nick', { exact: true });
    await field.fill('erin');
    await field.press('Enter');
    await expect.poll(() => p.page.locator('#status').textContent()).toBe('connected as erin');

    await server.close();
    await expect.poll(() => p.page.locator('#status').textContent()).toMatch(/^disconnected/);
    server = await serve(specs(port));
    await expect
      .poll(() => p.page.locator('#status').textContent(), { timeout: 15_000 })
      .toBe('connected as erin');
    expect(await logTexts(p.page)).toContain('reconnected');
    // The memory backplane's rooms did not survive: the resume says what it cannot give back.
    await expect
      .poll(() => p.page.locator('#log li.notice').allTextContents())
      .toEqual(
        expect.arrayContaining([expect.stringMatching(/^cannot recover lobby: epoch [0-9a-f]+ is gone/)]),
      );
    expect(onlyLoopback(p.requests), p.requests.join(' ')).toBe(true);
  }, 40_000);

  // Issue 11: the page resumes after its server restarts. Two nodes on one Redis: the page on node
  // A (ws and tcp listeners sharing ?hub=web), a member on node B talking steadily; A is SIGKILLed
  // mid-stream and restarted on the same ports. The page must show every line once, in order,
  // and the lines said while A was down come back as the resume's, not as [history].
  it('resumes after its server is SIGKILLed and restarted: every line once, in order (Redis)', async () => {
    const redis = await startRedis();
    const [wsPort, tcpPort] = [await freePort(), await freePort()];
    const nodeA = (): Promise<ServeProcess> =>
      startServe([
        '--backplane',
        redis.url,
        `chat@tcp://127.0.0.1:${tcpPort}?hub=web&flood=0`,
        `chat@ws://127.0.0.1:${wsPort}/chat?hub=web&flood=0`,
      ]);
    let a = await nodeA();
    const b = await startServe(['--backplane', redis.url, 'chat@tcp://127.0.0.1:0?hub=web&flood=0']);
    const p = await openChatPage(browser, `http://127.0.0.1:${wsPort}/`);
    onTestFinished(() => p.page.context().close());
    const sender = await lineClient(Number(new URL(b.urls[0]!).port));
    await sender.expect(/^\* welcome/);
    sender.send('/nick sender');
    await sender.expect(/^\* you are now sender$/);
    const numbered = async (): Promise<number[]> =>
      (await p.page.locator('#log li.line:not(.history)').allTextContents())
        .filter((t) => /^sendern \d+$/.test(t))
        .map((t) => Number(t.slice('sendern '.length)));
    const count = 150;
    const talking = (async () => {
      for (let i = 1; i <= count; i++) {
        sender.send(`n ${i}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();
    await expect.poll(numbered, { timeout: 10_000 }).toContain(40);
    a.child.kill('SIGKILL');
    await a.exited;
    await expect.poll(() => p.page.locator('#status').textContent()).toMatch(/^disconnected/);
    a = await nodeA();
    await talking;
    await expect.poll(numbered, { timeout: 20_000 }).toEqual(Array.from({ length: count }, (_, i) => i + 1));
    const notices = await p.page.locator('#log li.notice').allTextContents();
    expect(notices).toEqual(
      expect.arrayContaining([expect.stringMatching(/^recovered [1-9]\d* lines? in lobby/)]),
    );
    expect(notices.filter((n) => n.startsWith('cannot recover'))).toEqual([]);
    // No tag reaches the reader.
    expect((await logTexts(p.page)).filter((t) => t.includes('@seq='))).toEqual(
      notices.filter((n) => n.includes('@seq=')),
    );
    expect(p.errors).toEqual([]);
  }, 60_000);
});
