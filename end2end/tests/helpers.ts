import { expect, Page } from "@playwright/test";

export const admin = {
  email: process.env.PONTE_E2E_ADMIN_EMAIL ?? "admin@ponte.test",
  password: process.env.PONTE_E2E_ADMIN_PASSWORD ?? "",
};

/** Clicks before hydration are lost: wait until the wasm bundle has hydrated the page
 * (the portal marks <body data-hydrated> from an effect, which only runs in the browser). */
export async function waitForHydration(page: Page) {
  await page.locator('body[data-hydrated="true"]').waitFor({ state: "attached", timeout: 30_000 });
}

export async function login(page: Page, email = admin.email, password = admin.password) {
  await page.goto("/login");
  await waitForHydration(page);
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Senha").fill(password);
  await page.getByRole("button", { name: "Entrar" }).click();
}

export async function loginAsAdmin(page: Page) {
  expect(admin.password, "PONTE_E2E_ADMIN_PASSWORD must be set by the test command").not.toBe("");
  await login(page);
  await expect(page).toHaveURL(/\/orgs$/);
  // Links clicked from now on are handled by the client-side router.
  await waitForHydration(page);
}
