"""Every page, for a visitor, a customer, a support agent and an admin, at 1280 px and 390 px:

- axe-core (tests/e2e/vendor/axe.min.js, from the axe-core npm package) finds no critical or
  serious violation; the page's CSP forbids script tags, so its source is evaluated in the page;
- no table is wider than its container at 1280 px, a table that scrolls keeps its key (first)
  column in view, and every link or button in a table is on screen at 390 px;
- every id is on one element only, and every label names a field on the page (axe no longer
  checks duplicate ids; a repeated id sends a label, and what it labels, to the wrong field);
- the menu opens with the keyboard on a phone.

Full-page screenshots of each page at each width land in test-results/.
"""

from pathlib import Path

import pytest
from sqlalchemy import select

from app.auth.passwords import current_passwords
from app.demo import ADMIN, CUSTOMER, SUPPORT, create_demo
from app.extensions import db
from app.models import License, Order, OrderStatus
from app.web.services import current_keyring, current_terms
from tests.e2e.conftest import log_in
from tests.support.pages import duplicate_ids, labels_without_field

AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()
WIDTHS = (1280, 390)

RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations
    .filter(v => v.impact === 'critical' || v.impact === 'serious')
    .map(v => {
      const where = v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ');
      return `${v.id} (${v.impact}): ${v.help} — ${where}`;
    });
}"""

TABLE_PROBLEMS = """(width) => {
  const problems = [];
  document.querySelectorAll('table').forEach((table, i) => {
    const name = table.id || `table ${i + 1}`;
    if (width >= 1000) {
      const box = table.parentElement;
      const fits = table.getBoundingClientRect().width <= box.getBoundingClientRect().width + 1;
      const overflow = getComputedStyle(box).overflowX;
      const scrolls = overflow === 'auto' || overflow === 'scroll';
      if (!fits) problems.push(`${name} is wider than its container` + (scrolls ? ' (scrolls)' : ''));
      const loose = [...table.querySelectorAll('tr > :first-child:not([colspan])')]
        .filter(cell => getComputedStyle(cell).position !== 'sticky');
      if (scrolls && loose.length) problems.push(`${name}: its key column scrolls out of view`);
    } else {
      table.querySelectorAll('a, button').forEach(el => {
        const r = el.getBoundingClientRect();
        if (r.width === 0 && r.height === 0) return;  // hidden on purpose
        if (r.left < 0 || r.right > window.innerWidth + 1)
          problems.push(`${name}: "${el.textContent.trim()}" is off-screen ` +
            `(${Math.round(r.left)}–${Math.round(r.right)} px)`);
      });
    }
  });
  return problems;
}"""


@pytest.fixture
def demo(app):
    create_demo(db.session, current_keyring(), current_terms(), current_passwords())
    license = db.session.scalar(select(License))
    paid = db.session.scalar(select(Order).where(Order.status == OrderStatus.PAID).order_by(Order.id))
    failed = db.session.scalar(select(Order).where(Order.status == OrderStatus.FAILED))
    return {"license": license, "paid": paid, "failed": failed, "customer_id": license.owner_id}


def check_pages(page, paths, output_dir, label):
    problems = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for path in paths:
            response = page.goto(path)
            assert response.status < 400, f"{path} answered {response.status}"
            assert page.url.endswith(path), f"{path} went to {page.url}"
            html = page.content()
            for name in duplicate_ids(html):
                problems.append(f"{label} {width}px {path}: id {name!r} is on more than one element")
            for name in labels_without_field(html):
                problems.append(f"{label} {width}px {path}: a label is for {name!r}, not on the page")
            page.evaluate(AXE_SOURCE + "\n;true")
            for violation in page.evaluate(RUN_AXE):
                problems.append(f"{label} {width}px {path}: {violation}")
            for problem in page.evaluate(TABLE_PROBLEMS, width):
                problems.append(f"{label} {width}px {path}: {problem}")
            name = path.strip("/").replace("/", "_").replace("?", "_") or "root"
            page.screenshot(path=str(output_dir / f"{label}-{width}-{name}.png"), full_page=True)
    assert not problems, "\n".join(problems)


def test_a_visitors_pages(page, output_dir, app):
    check_pages(
        page,
        ["/", "/login", "/register", "/forgot-password", "/terms", "/refund-policy"],
        output_dir,
        "visitor",
    )


def test_the_customers_pages(page, demo, output_dir):
    log_in(page, CUSTOMER[0], CUSTOMER[3])
    code = demo["license"].code
    check_pages(
        page,
        [
            "/licenses",
            f"/licenses/{code}",
            f"/licenses/{code}/upgrade",
            "/orders",
            f"/orders/{demo['paid'].id}",
            f"/orders/{demo['failed'].id}",
            "/orders/new",
            "/trial",
            "/account",
            "/account/billing",
            "/orders/new?accounts=50&review=1",
            "/account/password",
            "/contact",
        ],
        output_dir,
        "customer",
    )


def test_the_support_agents_pages(page, demo, output_dir):
    log_in(page, SUPPORT[0], SUPPORT[3])
    check_pages(
        page,
        [
            "/support/",
            "/support/trials",
            "/support/customers",
            f"/support/customers/{demo['customer_id']}",
            f"/support/licenses/{demo['license'].code}",
            "/support/orders",
            f"/support/orders/{demo['paid'].id}",
            "/support/audit",
        ],
        output_dir,
        "support",
    )


def test_the_admins_pages(page, demo, output_dir):
    log_in(page, ADMIN[0], ADMIN[3])
    check_pages(
        page,
        ["/support/staff", f"/support/customers/{demo['customer_id']}"],
        output_dir,
        "admin",
    )


def test_the_menu_opens_with_the_keyboard_on_a_phone(page, demo):
    page.set_viewport_size({"width": 390, "height": 800})
    log_in(page, CUSTOMER[0], CUSTOMER[3])
    menu = page.get_by_role("button", name="Menu")
    orders = page.get_by_role("navigation", name="Main").get_by_role("link", name="Orders")
    assert menu.get_attribute("aria-expanded") == "false"
    assert not orders.is_visible()
    menu.focus()
    page.keyboard.press("Enter")
    assert menu.get_attribute("aria-expanded") == "true"
    assert orders.is_visible()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_url("**/orders")
    assert page.get_by_role("heading", name="Orders").is_visible()


def test_the_live_price_and_the_amounts_message_never_disagree(page, demo, output_dir):
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 390, "height": 900})
    log_in(page, CUSTOMER[0], CUSTOMER[3])
    page.goto("/orders/new")
    expect(page.locator(".order-steps [aria-current=step]")).to_contain_text("Amount")
    expect(page.locator("[data-price-label]")).to_have_text("Price of one pack")
    amount = page.get_by_label("License amount you want to buy")
    amount.fill("30")
    page.get_by_role("button", name="Review the order").click()
    expect(page.locator(".field-error")).to_have_text("30 is not a whole number of packs: buy 25 or 50.")
    expect(page.locator(".field-error")).to_have_count(1)
    expect(page.locator("[data-price]")).to_be_hidden()

    page.get_by_label("License amount you want to buy").fill("50")
    expect(page.locator(".field-error")).to_have_count(0)
    expect(page.locator("[data-price]")).to_have_text("2 packs × 25 accounts × $4.50 = $225.00")
    expect(page.locator("[data-price-label]")).to_have_text("Price")
    page.screenshot(path=str(output_dir / "order-amount-390.png"), full_page=True)

    page.get_by_label("License amount you want to buy").fill("")
    expect(page.locator("[data-price-label]")).to_have_text("Price of one pack")
    page.get_by_role("button", name="Review the order").click()
    expect(page.locator(".order-steps [aria-current=step]")).to_contain_text("Amount")
    page.get_by_label("License amount you want to buy").fill("50")
    page.get_by_role("button", name="Review the order").click()
    expect(page.locator(".order-steps [aria-current=step]")).to_contain_text("Review")
    expect(page.get_by_role("button", name="Place the order and enter your card")).to_be_visible()
    page.screenshot(path=str(output_dir / "order-review-390.png"), full_page=True)


# A cell narrower than 80 px, or a link or phrase in a cell broken into a column of a few letters.
NARROW_CELLS = """() => {
  const narrow = [];
  document.querySelectorAll('.audit-table td:not([colspan])').forEach(cell => {
    const width = cell.getBoundingClientRect().width;
    if (width < 80) narrow.push(`${cell.textContent.trim().slice(0, 40)} (${Math.round(width)} px)`);
    cell.querySelectorAll('a, span').forEach(part => {
      const style = getComputedStyle(part);
      const lineHeight = parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.2;
      const lines = Math.round(part.getBoundingClientRect().height / lineHeight);
      if (lines > 1 && part.textContent.trim().length / lines < 8)
        narrow.push(`"${part.textContent.trim()}" split into ${lines} lines`);
    });
  });
  return narrow;
}"""


def test_the_audit_log_keeps_its_cells_readable_on_a_phone(page, demo, output_dir):
    from app.audit import SYSTEM, AuditAction, record
    from app.models import User

    agent = db.session.scalar(select(User).where(User.email == SUPPORT[0]))
    customer = db.session.get(User, demo["customer_id"])
    customer.email = "accounts-payable.department@example-hosting.com"
    record(
        agent,
        AuditAction.ORDER_REFUND,
        order=demo["paid"],
        reason="Bought the wrong amount twice",
        amount_cents=demo["paid"].amount_cents,
    )
    record(SYSTEM, AuditAction.ORDER_EXPIRE, order=demo["failed"], reason="Not paid within 24 hours.")
    record(agent, AuditAction.TRIAL_ISSUE, customer=customer, customer_note="Welcome aboard!")
    db.session.commit()
    log_in(page, SUPPORT[0], SUPPORT[3])
    for width, height in ((1280, 800), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        for path in ("/support/", "/support/audit"):
            page.goto(path)
            name = path.strip("/").replace("/", "_")
            page.screenshot(path=str(output_dir / f"{name}-{width}.png"), full_page=True)
            assert page.evaluate(NARROW_CELLS) == [], f"{path} at {width} px"
