// One Lighthouse audit (its mobile preset, the default) of one page, as a logged-in person:
//   node audit.mjs URL OUT.json [SESSIONID]
// The session goes into the browser's cookie jar before the audit, and Lighthouse keeps
// it (disableStorageReset). A Cookie header of --extra-headers does not last: the document
// comes back logged in, but the requests after it (posters, htmx) go without the session
// and land on the log-in page, and so does the page (see bench/README.md).
import {writeFileSync} from 'node:fs';
import * as chromeLauncher from 'chrome-launcher';
import lighthouse from 'lighthouse';
import puppeteer from 'puppeteer-core';

const [url, out, session] = process.argv.slice(2);
const chrome = await chromeLauncher.launch({
  chromePath: process.env.CHROME_PATH || '/usr/bin/chromium',
  chromeFlags: [
    '--headless=new', '--no-sandbox', '--disable-background-networking',
    '--disable-component-update', '--disable-sync',
  ],
});
let code = 0;
try {
  const browser = await puppeteer.connect({browserURL: `http://127.0.0.1:${chrome.port}`});
  if (session) {
    const page = await browser.newPage();
    await page.setCookie({name: 'sessionid', value: session, url: new URL(url).origin});
    await page.close();
  }
  const result = await lighthouse(url, {
    port: chrome.port,
    output: 'json',
    logLevel: 'error',
    onlyCategories: ['performance', 'accessibility', 'best-practices'],
    disableStorageReset: Boolean(session),
  });
  writeFileSync(out, result.report);
  await browser.disconnect();
} catch (error) {
  console.error(error);
  code = 1;
} finally {
  await chrome.kill();
}
process.exit(code);
