"""Stories, a story page, hiding and deleting, departments, the silo matrix, themes and
downloads, in a real browser (each page also checked with axe-core at two widths)."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from stories.exports import export_files
from stories.models import Department, PromptDelivery, Story
from stories.periods import parse_period
from tests.browser.conftest import Site
from tests.browser.pages import check_page, new_page, sign_in


def story_ids(page: Any) -> list[int]:
    return [int(r.get_attribute("data-story")) for r in page.locator("tr[data-story]").all()]


def test_search_filter_and_a_story_page(site: Site, browser: Any) -> None:
    page = new_page(browser)
    sign_in(page, site.link())
    page.get_by_role("link", name="Stories").click()
    page.wait_for_url("**/dashboard/stories")
    ids = site.seeded.story_ids
    assert story_ids(page)[:4] == ids[:4]  # newest first; the private story is not listed
    assert site.seeded.private_story_id not in story_ids(page)
    check_page(page, "stories")
    page.get_by_label("Words").fill("refund")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**q=refund**")
    assert story_ids(page) == [ids[0]]
    page.get_by_label("Words").fill("")
    page.get_by_label("Touchpoint").fill("delivery")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**touchpoint=delivery**")
    assert story_ids(page) == [ids[2]]
    page.get_by_role("link", name="The courier left the parcel").click()
    assert page.get_by_role("heading", name=f"Story #{ids[2]}").is_visible()
    page.goto(f"{site.base}/dashboard/stories/{ids[1]}")
    assert page.get_by_role("heading", name="Finance", exact=True).is_visible()
    assert "nightly reconciliation" in page.locator("main").inner_text()
    check_page(page, "story")
    page.goto(f"{site.base}/dashboard/stories/{site.seeded.other_story_id}")
    assert page.get_by_role("heading", name="Not found").is_visible()
    assert "Globex" not in page.content()
    page.context.close()


def test_a_lead_hides_and_deletes_stories_and_the_post_follows(site: Site, browser: Any) -> None:
    ids = site.seeded.story_ids
    with site.session() as session:
        for story_id, ts in ((ids[4], "444.4"), (ids[5], "555.5")):
            story = session.get(Story, story_id)
            assert story is not None
            story.channel_post_ref = f"C-STORIES:{ts}"
            session.add(story)
        session.commit()
    page = new_page(browser)
    sign_in(page, site.link())
    page.goto(f"{site.base}/dashboard/stories/{ids[4]}")
    page.get_by_role("button", name="Hide story").click()
    page.wait_for_url("**done=hidden")
    assert page.get_by_role("status").inner_text().startswith("The story is hidden")
    assert ids[4] not in story_ids(page)
    page.goto(f"{site.base}/dashboard/stories/{ids[5]}")
    page.get_by_label("Yes, delete this story for good").check()
    page.get_by_role("button", name="Delete story").click()
    page.wait_for_url("**done=deleted")
    with site.session() as session:
        hidden = session.get(Story, ids[4])
        assert hidden is not None
        assert not hidden.shared
        assert session.get(Story, ids[5]) is None
    updates = {c["ts"]: c["text"] for c in site.slack.calls_to("chat.update")}
    assert updates["444.4"] == "This story is no longer shared."
    assert updates["555.5"] == "This story was deleted by its author or a CX lead."
    page.context.close()


def test_departments_pause_resume_and_prompt_now(site: Site, browser: Any) -> None:
    page = new_page(browser)
    sign_in(page, site.link())
    page.get_by_role("link", name="Departments").click()
    page.wait_for_url("**/dashboard/departments")
    check_page(page, "departments")
    finance = page.locator('[data-department="Finance"]')
    finance.get_by_role("button", name="Pause Finance").click()
    assert "Prompts for Finance are paused" in page.get_by_role("status").inner_text()
    with site.session() as session:
        department = session.get(Department, site.seeded.finance_id)
        assert department is not None
        assert department.paused
    page.locator('[data-department="Finance"]').get_by_role("button", name="Resume Finance").click()
    assert "Prompts for Finance are resumed" in page.get_by_role("status").inner_text()
    page.locator('[data-department="Finance"]').get_by_role(
        "button", name="Prompt Finance now"
    ).click()
    assert "Sent Finance a prompt" in page.get_by_role("status").inner_text()
    assert [c["channel"] for c in site.slack.calls_to("chat.postMessage")].count("C-FIN") == 1
    with site.session() as session:
        rows = session.exec(
            select(PromptDelivery).where(PromptDelivery.department_id == site.seeded.finance_id)
        ).all()
    assert len(rows) == 2  # the seeded prompt and this one, each one row in the ledger
    page.context.close()


def test_silo_themes_and_a_download(site: Site, browser: Any) -> None:
    page = new_page(browser)
    sign_in(page, site.link())
    page.get_by_role("link", name="Silo matrix").click()
    page.wait_for_url("**/dashboard/silo")
    assert page.get_by_role("table").is_visible()
    check_page(page, "silo")
    page.get_by_role("link", name="Themes").click()
    page.wait_for_url("**/dashboard/themes")
    check_page(page, "themes")
    page.get_by_role("link", name="Downloads").click()
    page.wait_for_url("**/dashboard/downloads")
    check_page(page, "downloads")
    with page.expect_download() as downloading:
        page.get_by_role("link", name="stories (CSV)").click()
    download = downloading.value
    with site.session() as session:
        [made] = export_files(
            session=session,
            workspace_id=site.seeded.workspace_id,
            period=parse_period("30d", now=site.clock.now()).whole_seconds(),
            format="csv",
            what="stories",
        )
    assert download.suggested_filename == made.name
    with open(download.path(), "rb") as saved:
        assert saved.read() == made.content
    page.context.close()
