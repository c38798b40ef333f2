"""The pages a team works from, driven in a real browser: Debian's Chromium through its chromedriver (selenium).

A small batch is scored and written as a site; on the index a click on a column header sorts the calls and
typing in the search box filters them, and with JavaScript off every call is listed; on a call page a reviewer
marks one verdict wrong (with the status it should have and a comment) and another right, the reviews survive
a reload, and Save downloads a review file; ``csqa reviews`` turns that file into an annotated call and
``csqa eval`` measures the rules against it.

Needs ``chromium`` and ``chromium-driver`` (``apt-get install -y chromium chromium-driver``); selenium comes
with the test extra and is pointed at the installed driver, so Selenium Manager downloads nothing. Without
the browser or its driver the test is skipped, except under CI (the ``CI`` environment variable set), where
it fails: CI must run it.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

import csqa
from csqa.cli import main
from csqa.outputs.reviews import ReviewFile
from csqa.outputs.summary import read_reports

BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
T = TypeVar("T")


def wait(condition: Callable[[], T], what: str, timeout: float = 10.0) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[tuple[Any, Path]]:
    if BROWSER is None or DRIVER is None:
        if os.environ.get("CI"):
            pytest.fail("chromium and chromedriver are needed under CI: apt-get install -y chromium chromium-driver")
        pytest.skip("no chromium or chromedriver (apt-get install -y chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options = webdriver.ChromeOptions()
    options.binary_location = BROWSER
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1280,1600", f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    # A driver path given: Selenium Manager is not run, so nothing is downloaded.
    driver = webdriver.Chrome(options=options, service=Service(executable_path=DRIVER))
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    try:
        yield driver, downloads
    finally:
        driver.quit()


def visible_column(driver: Any, key: str) -> list[str]:
    """The text of one column in the rows the index shows now."""
    script = ("var key = arguments[0];"
              " var at = Array.prototype.findIndex.call(document.querySelectorAll('#calls-table thead th'),"
              "   function (th) { return th.getAttribute('data-key') === key; });"
              " return Array.prototype.map.call(document.querySelectorAll('#calls-table tbody tr'),"
              "   function (tr) { return tr.cells[at].textContent.trim(); });")
    return list(driver.execute_script(script, key))


def test_sort_filter_review_save_and_evaluate(browser: tuple[Any, Path], tmp_path: Path, root: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    driver, downloads = browser
    calls = tmp_path / "calls.jsonl"
    demo = [c for c in csqa.load_calls(root / "corpora" / "demo") if isinstance(c, csqa.Call)]
    calls.write_text("".join(c.model_copy(update={"team": ["一组", "二组"][i % 2]}).model_dump_json() + "\n"
                             for i, c in enumerate(demo)), encoding="utf-8")
    reports_path = tmp_path / "reports.jsonl"
    assert main(["score", str(calls), "--format", "jsonl", "-o", str(reports_path)]) == 0
    assert main(["report", str(reports_path), "-o", str(tmp_path / "site")]) == 0
    reports = [r for r in read_reports(reports_path) if isinstance(r, csqa.Report)]

    driver.get((tmp_path / "site" / "index.html").as_uri())
    given = visible_column(driver, "call")
    assert given == [r.call_id for r in reports]  # the input order, until a header is clicked
    header = driver.find_element(By.CSS_SELECTOR, '#calls-table th[data-key="score"] button.sort')
    header.click()
    scores = [float(s) for s in visible_column(driver, "score")]
    assert scores == sorted((round(r.score, 1) for r in reports if r.score is not None), reverse=True)
    assert visible_column(driver, "call") != given
    assert driver.find_element(By.CSS_SELECTOR, '#calls-table th[data-key="score"]').get_attribute("aria-sort") == "descending"
    header.click()
    assert [float(s) for s in visible_column(driver, "score")] == sorted(scores)

    agent = "A045"
    search = driver.find_element(By.ID, "f-q")
    search.send_keys(agent)
    mine = [r.call_id for r in reports if r.agent_id == agent]
    assert 0 < len(mine) < len(reports)
    wait(lambda: sorted(visible_column(driver, "call")) == sorted(mine), "the search to hide the other agents' calls")
    assert set(visible_column(driver, "agent")) == {agent}
    assert f"of {len(mine)} matching calls ({len(reports)} in all)" in driver.find_element(By.ID, "calls-count").text
    search.clear()
    search.send_keys(" ")  # an input event with an empty search: every call again
    wait(lambda: len(visible_column(driver, "call")) == len(reports), "every call to come back")
    Select(driver.find_element(By.ID, "f-rule")).select_by_value("ST03")
    restate_fails = [r for r in reports if r.check("restate-question").status == "fail"]
    assert sorted(visible_column(driver, "call")) == sorted(r.call_id for r in restate_fails)

    # a call where the customer's matter is quoted (context) and the agent failed the restatement
    target = next(r for r in restate_fails if any(
        ev.utterance is not None and r.utterances[ev.utterance].speaker == "customer"
        for ev in r.check("restate-question").evidence) and any(c.status == "pass" for c in r.checks))
    driver.find_element(By.LINK_TEXT, target.call_id).click()
    wait(lambda: driver.find_elements(By.ID, "csqa-reviewer"), "the call page")
    colours = driver.execute_script(
        "var s = function (q) { var m = document.querySelector(q); return m && getComputedStyle(m).backgroundColor; };"
        " return [s('mark.ctx'), s('mark.s-fail')];")
    assert colours[0] and colours[1] and colours[0] != colours[1]  # the customer's words are not painted as a fault

    driver.find_element(By.ID, "csqa-reviewer").send_keys("王芳")
    right = next(c for c in target.checks if c.status == "pass")
    cell = driver.find_element(By.CSS_SELECTOR, 'td.review[data-rule="restate-question"]')
    cell.find_element(By.CSS_SELECTOR, 'input[value="wrong"]').click()
    should = cell.find_element(By.CSS_SELECTOR, ".should")
    assert should.is_displayed()
    Select(should.find_element(By.TAG_NAME, "select")).select_by_value("pass")
    cell.find_element(By.TAG_NAME, "textarea").send_keys("坐席复述了：您是问发货时间对吧")
    driver.find_element(By.TAG_NAME, "h1").click()  # leave the comment: it is kept
    driver.find_element(By.CSS_SELECTOR, f'td.review[data-rule="{right.rule}"] input[value="right"]').click()
    wait(lambda: "2 reviews kept" in driver.find_element(By.ID, "csqa-review-msg").text, "the reviews to be kept")

    driver.refresh()  # kept in the browser: a reload loses nothing
    cell = wait(lambda: driver.find_element(By.CSS_SELECTOR, 'td.review[data-rule="restate-question"]'), "the reload")
    # the cell is in the page as written; the script fills in the kept review once it has run (later on a busy machine)
    wait(lambda: cell.find_element(By.CSS_SELECTOR, 'input[value="wrong"]').is_selected(), "the kept review to come back")
    assert cell.find_element(By.TAG_NAME, "textarea").get_attribute("value") == "坐席复述了：您是问发货时间对吧"
    assert "reviewed-wrong" in (cell.find_element(By.XPATH, "..").get_attribute("class") or "")

    driver.find_element(By.ID, "csqa-save").click()
    saved = wait(lambda: [p for p in downloads.glob("csqa-reviews-*.json")], "the review file to be downloaded")
    assert len(saved) == 1 and "王芳" in saved[0].name
    assert "saved csqa-reviews-" in driver.find_element(By.ID, "csqa-review-msg").text
    file = ReviewFile.model_validate_json(saved[0].read_text(encoding="utf-8"))
    assert file.reviewer == "王芳"
    got = {(r.call_id, r.rule): (r.csqa_status, r.status, r.comment, r.csqa_version, r.scorecard) for r in file.reviews}
    comment = "坐席复述了：您是问发货时间对吧"
    assert got == {
        (target.call_id, "restate-question"): ("fail", "pass", comment, csqa.__version__, target.scorecard),
        (target.call_id, right.rule): ("pass", "pass", "", csqa.__version__, target.scorecard),
    }

    driver.back()  # the index of the same folder sees the same reviews
    wait(lambda: "2 reviews kept" in driver.find_element(By.ID, "csqa-review-msg").text, "the index's count")

    driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})  # JavaScript off
    driver.get((tmp_path / "site" / "index.html").as_uri())
    static = driver.find_elements(By.CSS_SELECTOR, "#calls-static tbody tr")
    assert len(static) == len(reports) and all(row.is_displayed() for row in static)  # every call, readable
    assert not driver.find_element(By.ID, "calls-table").is_displayed()
    assert not driver.find_element(By.ID, "csqa-filters").is_displayed()
    driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})

    annotated = tmp_path / "annotated.jsonl"
    assert main(["reviews", str(downloads), "--calls", str(calls), "-o", str(annotated)]) == 0
    record = json.loads(annotated.read_text(encoding="utf-8"))
    assert record["gold"] == {"restate-question": "pass", right.rule: "pass"} and record["call"]["team"]
    result = csqa.evaluate([annotated], examples=False)
    assert result.calls == 1
    assert [(d.call_id, d.rule, d.gold, d.predicted) for d in result.disagreements] == [
        (target.call_id, "restate-question", "pass", "fail")]
    assert result.rules[right.rule].accuracy == 1.0


def test_a_chinese_site_sorts_filters_and_saves_reviews_csqa_reads(browser: tuple[Any, Path], tmp_path: Path,
                                                                     root: Path) -> None:
    """The same loop on pages written with ``--lang zh``: the words are Chinese, and the sorting, filtering and
    the review file are those of the English pages."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    from csqa.outputs.i18n import ui_text

    zh = ui_text("zh")
    driver, downloads = browser
    calls = tmp_path / "calls.jsonl"
    demo = [c for c in csqa.load_calls(root / "corpora" / "demo") if isinstance(c, csqa.Call)]
    calls.write_text("".join(c.model_dump_json() + "\n" for c in demo), encoding="utf-8")
    reports_path = tmp_path / "reports.jsonl"
    assert main(["score", str(calls), "--format", "jsonl", "-o", str(reports_path), "--lang", "zh"]) == 0
    assert main(["report", str(reports_path), "-o", str(tmp_path / "site"), "--lang", "zh"]) == 0
    reports = [r for r in read_reports(reports_path) if isinstance(r, csqa.Report)]

    driver.get((tmp_path / "site" / "index.html").as_uri())
    assert driver.execute_script("return document.documentElement.lang") == "zh-CN"
    assert f"共{len(reports)}个符合条件的通话" in driver.find_element(By.ID, "calls-count").text
    header = driver.find_element(By.CSS_SELECTOR, '#calls-table th[data-key="score"] button.sort')
    assert header.get_attribute("title") == zh["calls.sort"].format(column=zh["th.score"])
    header.click()
    scores = [float(s) for s in visible_column(driver, "score")]
    assert scores == sorted((round(r.score, 1) for r in reports if r.score is not None), reverse=True)
    assert set(visible_column(driver, "verdict")) <= {zh["verdict.pass"], zh["verdict.fail"], zh["verdict.none"]}
    assert set(visible_column(driver, "direction")) == {"呼入", "回访"}

    Select(driver.find_element(By.ID, "f-verdict")).select_by_value("fail")
    failing = [r.call_id for r in reports if r.passed is False]
    assert sorted(visible_column(driver, "call")) == sorted(failing)
    assert set(visible_column(driver, "verdict")) == {zh["verdict.fail"]}
    driver.find_element(By.ID, "f-clear").click()
    search = driver.find_element(By.ID, "f-q")
    search.send_keys("回访")  # the direction as the page names it
    outbound = [r.call_id for r in reports if r.direction == "outbound"]
    wait(lambda: sorted(visible_column(driver, "call")) == sorted(outbound), "the search to keep the callbacks")
    search.clear()
    search.send_keys(" ")
    Select(driver.find_element(By.ID, "f-rule")).select_by_value("ST03")
    restate_fails = [r for r in reports if r.check("restate-question").status == "fail"]
    wait(lambda: sorted(visible_column(driver, "call")) == sorted(r.call_id for r in restate_fails), "the rule filter")

    target = next(r for r in restate_fails if any(c.status == "pass" for c in r.checks))
    driver.find_element(By.LINK_TEXT, target.call_id).click()
    wait(lambda: driver.find_elements(By.ID, "csqa-reviewer"), "the call page")
    assert driver.execute_script("return document.documentElement.lang") == "zh-CN"
    assert driver.find_element(By.CSS_SELECTOR, "table.rules thead th:last-child").text == zh["th.review"]
    driver.find_element(By.ID, "csqa-reviewer").send_keys("李娜")
    cell = driver.find_element(By.CSS_SELECTOR, 'td.review[data-rule="restate-question"]')
    assert zh["review.right"] in cell.text and zh["review.wrong"] in cell.text
    cell.find_element(By.CSS_SELECTOR, 'input[value="wrong"]').click()
    should = cell.find_element(By.CSS_SELECTOR, ".should")
    options = Select(should.find_element(By.TAG_NAME, "select"))
    assert {o.text for o in options.options} == {zh[f"status.{s}"] for s in ("pass", "not_applicable", "not_assessable")}
    options.select_by_value("pass")
    cell.find_element(By.TAG_NAME, "textarea").send_keys("复述了")
    driver.find_element(By.TAG_NAME, "h1").click()
    right = next(c for c in target.checks if c.status == "pass")
    driver.find_element(By.CSS_SELECTOR, f'td.review[data-rule="{right.rule}"] input[value="right"]').click()
    kept = zh["review.count"].format(n=2)
    wait(lambda: kept in driver.find_element(By.ID, "csqa-review-msg").text, "the reviews to be kept")

    driver.find_element(By.ID, "csqa-save").click()
    saved = wait(lambda: [p for p in downloads.glob("csqa-reviews-*.json")], "the review file to be downloaded")
    assert zh["review.saved"].format(file="csqa-reviews-") in driver.find_element(By.ID, "csqa-review-msg").text
    file = ReviewFile.model_validate_json(saved[0].read_text(encoding="utf-8"))
    got = {(r.call_id, r.rule): (r.csqa_status, r.status, r.comment, r.code) for r in file.reviews}
    assert got == {(target.call_id, "restate-question"): ("fail", "pass", "复述了", "ST03"),
                   (target.call_id, right.rule): ("pass", "pass", "", right.code)}

    annotated = tmp_path / "annotated.jsonl"
    assert main(["reviews", str(downloads), "--calls", str(calls), "-o", str(annotated)]) == 0
    record = json.loads(annotated.read_text(encoding="utf-8"))
    assert record["call"]["call_id"] == target.call_id
    assert record["gold"] == {"restate-question": "pass", right.rule: "pass"}
