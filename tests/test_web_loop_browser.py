"""The follow-up meeting in a real headless Chromium: Söder's organizer opens a tip from the
map's list, sets who is responsible, the priority, the deadline and a Purple Flag theme, saves,
and after a reload sees it all kept, on the tip's page and in the map's list.

Screenshot: SCREENSHOTS=docs/screenshots pytest tests/test_web_loop_browser.py writes the
README's picture of the follow-up form (follow-up-laptop.png).
"""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.select import Select

from tests import test_web_browser
from tests.browser import Opener
from tests.test_web_browser import DARK_PASSAGE, Served, in_browser, link_for, log_in, screenshot

pytestmark = pytest.mark.slow  # a town of residents and a real browser

served = test_web_browser.served  # the fixture: the web view on a town residents filled


async def test_an_organizer_sets_a_tips_follow_up_and_sees_it_after_a_reload(
    served: Served, browsers: Opener, tmp_path: pytest.TempPathFactory
) -> None:
    link = await link_for(served.town.eva)

    def browse() -> None:
        eva = browsers()
        driver = eva.driver
        log_in(eva, link)
        row = driver.find_element(
            By.XPATH, f"//table[@class='points']//tr[contains(., '{DARK_PASSAGE}')]"
        )
        row.find_element(By.LINK_TEXT, "Följ upp").click()
        eva.wait().until(lambda d: "/contribution/" in d.current_url)
        assert DARK_PASSAGE in driver.find_element(By.TAG_NAME, "main").text

        Select(driver.find_element(By.ID, "t-responsible")).select_by_visible_text("Kommunen")
        Select(driver.find_element(By.ID, "t-priority")).select_by_visible_text("Hög prioritet")
        # The date field's parts follow the browser's locale: set as its own picker would.
        deadline = driver.find_element(By.ID, "t-deadline")
        driver.execute_script(
            "arguments[0].value = '2027-01-15';"
            "arguments[0].dispatchEvent(new Event('change', {bubbles: true}));",
            deadline,
        )
        driver.find_element(By.CSS_SELECTOR, "label[for='t-theme-wellbeing']").click()
        driver.find_element(By.CSS_SELECTOR, "form.triage button[type=submit]").click()
        eva.wait().until(lambda d: d.find_element(By.ID, "loop"))

        driver.refresh()  # kept in the store, not in the form
        assert (
            Select(driver.find_element(By.ID, "t-responsible")).first_selected_option.text
            == "Kommunen"
        )
        assert (
            Select(driver.find_element(By.ID, "t-priority")).first_selected_option.text
            == "Hög prioritet"
        )
        assert driver.find_element(By.ID, "t-deadline").get_attribute("value") == "2027-01-15"
        assert driver.find_element(By.ID, "t-theme-wellbeing").is_selected()
        assert not driver.find_element(By.ID, "t-theme-policy").is_selected()
        facts = driver.find_element(By.ID, "loop").text
        for shown in ("Kommunen", "Hög prioritet", "Senast 15 jan. 2027", "Trygghet"):
            assert shown in facts, facts
        assert eva.unlabelled_controls() == []
        assert eva.fits_its_screen()
        screenshot(eva, "follow-up", tmp_path, "form.triage")  # type: ignore[arg-type]

        driver.find_element(By.LINK_TEXT, "Tillbaka till kartan").click()
        eva.wait().until(lambda d: d.find_element(By.CSS_SELECTOR, "table.points"))
        listed = driver.find_element(
            By.XPATH, f"//table[@class='points']//tr[contains(., '{DARK_PASSAGE}')]"
        ).text
        assert "Kommunen" in listed and "Senast 15 jan. 2027" in listed

        # Before and after, per place: the tip's place is there, with its count.
        driver.find_element(By.LINK_TEXT, "Före och efter").click()
        eva.wait().until(lambda d: d.find_element(By.CSS_SELECTOR, "table.loop"))
        assert "Före och efter, per plats" in driver.find_element(By.TAG_NAME, "h1").text
        assert driver.find_elements(By.CSS_SELECTOR, "table.loop tbody tr")
        assert eva.fits_its_screen()
        screenshot(eva, "before-after", tmp_path)  # type: ignore[arg-type]

    await in_browser(browse)
