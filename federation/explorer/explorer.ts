import express from 'express';
import { fileURLToPath } from 'node:url';
import { EXPLORER_PATH } from './path.ts';

const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));

/**
 * The web explorer: static HTML, CSS and ES modules that read this member's public API from the
 * browser. Nothing is built and nothing is fetched from elsewhere; the content security policy
 * says so to the browser too.
 */
export function mountExplorer(app: express.Express): void {
  app.get('/', (_request, response) => response.redirect(302, `${EXPLORER_PATH}/`));
  app.use(
    EXPLORER_PATH,
    (_request, response, next) => {
      response.setHeader('Content-Security-Policy', "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
      response.setHeader('X-Content-Type-Options', 'nosniff');
      next();
    },
    express.static(PUBLIC_DIR, { index: 'index.html', fallthrough: true, redirect: true }),
  );
}
