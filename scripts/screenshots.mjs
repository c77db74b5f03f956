/* global document -- the waitForFunction callbacks run in the page */
// Screenshots of the web chat page for the README (DESIGN §6): a desktop (1280×800) and a phone
// (390×844) view of one conversation between two browsers and an nc user.
// Run after `npm run build`:  node scripts/screenshots.mjs
// Needs Debian's chromium (scripts/system-tools.sh installs it). Loopback only, port 0.
import { once } from 'node:events';
import { connect } from 'node:net';
import { chromium } from 'playwright-core';
import { serve } from '../dist/index.js';

const server = await serve(['chat@tcp://127.0.0.1:0?hub=shots', 'chat@ws://127.0.0.1:0/chat?hub=shots']);
const tcpPort = server.listeners[0].port;
const pageUrl = `http://127.0.0.1:${server.listeners[1].port}/`;
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
const pause = (ms) => new Promise((r) => setTimeout(r, ms));

try {
  // carol is on nc, in dev and then the lobby.
  const nc = connect(tcpPort, '127.0.0.1');
  nc.on('data', () => undefined);
  await once(nc, 'connect');
  const send = async (line) => {
    nc.write(`${line}\n`);
    await pause(60); // one line per turn (see test/web/chat-page.test.ts, the burst test)
  };
  // dave stays in dev, so the room list has two rooms.
  const dave = connect(tcpPort, '127.0.0.1');
  dave.on('data', () => undefined);
  await once(dave, 'connect');
  dave.write('/nick dave\n');
  await pause(60);
  dave.write('/join dev\n');
  await send('/nick carol');
  await send('/join dev');
  await send('build is green again');
  await send('/join lobby');
  await send('morning all');

  const open = async (nick, viewport) => {
    const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
    const page = await context.newPage();
    await page.goto(pageUrl);
    await page.waitForFunction(() =>
      document.getElementById('status')?.textContent?.startsWith('connected as'),
    );
    await page.getByLabel('Nick', { exact: true }).fill(nick);
    await page.getByLabel('Nick', { exact: true }).press('Enter');
    await page.waitForFunction(
      (n) => document.getElementById('status')?.textContent === `connected as ${n}`,
      nick,
    );
    return page;
  };
  const say = async (page, text) => {
    const input = page.getByLabel('Message', { exact: true });
    await input.fill(text);
    await input.press('Enter');
    await pause(80);
  };

  const alice = await open('alice', { width: 1280, height: 800 });
  const bob = await open('bob', { width: 390, height: 844 });
  await say(alice, 'hi carol, hi bob');
  await send('hi alice! the page and nc share one hub');
  await say(bob, 'I am on my phone');
  await say(alice, '/me waves');
  await send('<b>markup</b> stays text: <img src=x onerror=alert(1)>');
  await say(bob, '/msg alice lunch at noon?');
  await say(alice, '/msg bob sure');
  await pause(600); // the member and room lists refresh
  await alice.getByLabel('Message', { exact: true }).fill('typing stays put while lines arrive');
  await bob.getByLabel('Message', { exact: true }).fill('');
  await alice.screenshot({ path: 'docs/web-chat-desktop.png' });
  await bob.screenshot({ path: 'docs/web-chat-phone.png' });
  nc.destroy();
  dave.destroy();
  console.log('wrote docs/web-chat-desktop.png and docs/web-chat-phone.png');
} finally {
  await browser.close();
  await server.close();
}
