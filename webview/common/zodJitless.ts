// Imported FIRST by every webview entry (before anything that defines a zod schema). zod builds
// a fast parser with `new Function` where it may, probing for that when each object schema is
// created; our CSP has no 'unsafe-eval', so the probe would only be refused and reported as a
// violation. Interpreted parsing is plenty for a page of messages. The e2e test of the panels
// fails on any CSP violation, so moving this import down is caught.
import { config } from 'zod';

config({ jitless: true });
