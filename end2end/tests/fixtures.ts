import { expect, test as base } from "@playwright/test";

/** Every browser test fails when the page logs a hydration mismatch, a Rust panic or an
 * uncaught error: a page that looks right but stopped reacting is a broken page. */
export const test = base.extend<{ pageProblems: void }>({
  pageProblems: [
    async ({ page }, use, testInfo) => {
      const problems: string[] = [];
      page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
      page.on("console", (msg) => {
        const text = msg.text();
        if (msg.type() === "error" && /hydrat|panicked|unreachable|RuntimeError/i.test(text)) {
          problems.push(`console: ${text.slice(0, 500)}`);
        }
      });
      await use();
      expect(problems, `${testInfo.title}: the page reported problems`).toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };
