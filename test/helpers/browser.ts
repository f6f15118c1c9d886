import chromium from '@sparticuz/chromium';
import { chromium as playwright, type Browser, type Page } from 'playwright-core';

export interface BrowserPage {
  page: Page;
  /**
   * Uncaught exceptions, console errors, server errors, and files of the page itself that were
   * missing. An API answering 404 for something the page looked up is not one: the page handles it.
   */
  errors: string[];
  /** Every URL the page requested. */
  requests: string[];
}

/** The headless Chromium that `npm install` brought (inside @sparticuz/chromium). */
export async function launchBrowser(): Promise<Browser> {
  return playwright.launch({ executablePath: await chromium.executablePath(), args: chromium.args, headless: true });
}

export async function openPage(browser: Browser, viewport = { width: 1280, height: 900 }): Promise<BrowserPage> {
  const page = await browser.newPage({ viewport });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    // Chromium logs every 4xx/5xx response as a console error; responses are judged below instead.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) errors.push(`console error: ${message.text()}`);
  });
  page.on('response', (response) => {
    const request = response.request();
    const missingFile = response.status() >= 400 && request.resourceType() !== 'fetch' && request.resourceType() !== 'xhr';
    if (response.status() >= 500 || missingFile) errors.push(`HTTP ${response.status()} for ${response.url()}`);
  });
  page.on('request', (request) => requests.push(request.url()));
  return { page, errors, requests };
}
