// Playwright drives Debian's Chromium (CHROMIUM_PATH, default /usr/bin/chromium); it
// never downloads a browser. scripts/test.sh starts Ponte on 127.0.0.1:3000 and waits for it.
import { defineConfig } from "@playwright/test";

export default defineConfig({
  testDir: "./tests",
  timeout: 60_000,
  expect: { timeout: 15_000 },
  workers: 1,
  retries: 0,
  reporter: "list",
  use: {
    baseURL: process.env.PONTE_E2E_BASE_URL ?? "http://127.0.0.1:3000",
    // No Accept-Language preference for Portuguese: the portal must still answer pt-BR.
    locale: "en-US",
    trace: "off",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
  },
});
