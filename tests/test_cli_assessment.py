"""The admin's command line for rules and the month: `riverpatrol rules`, `riverpatrol assess`."""
import json
import os
import subprocess
import sys
from pathlib import Path

from openpyxl import load_workbook

RIVERPATROL = str(Path(sys.executable).parent / "riverpatrol")


def _cli(url, tmp_path):
    env = {**os.environ, "RIVERPATROL_DATABASE_URL": url, "RIVERPATROL_INSTANCE": str(tmp_path)}
    return lambda *args: subprocess.run([RIVERPATROL, *map(str, args)], env=env, capture_output=True, text=True,
                                        timeout=120)


def test_rules_from_json_and_a_month_to_xlsx(engine_name, fresh_db, tmp_path):
    run = _cli(fresh_db(demo=True), tmp_path)
    rules = tmp_path / "rules.json"
    # two rules in one file: the second overlaps the demo's weekly rule, so neither is added
    rules.write_text(json.dumps([
        {"org_unit_code": "610112010", "name": "汉城街道每旬一天", "window": "xun", "count_mode": "days",
         "min_count": 1, "valid_from": "2026-12-01"},
        {"org_unit_code": "610112", "name": "重复", "window": "week", "min_count": 2, "valid_from": "2026-06-01"}],
        ensure_ascii=False))
    bad = run("rules", "add", "frequency", rules)
    assert bad.returncode == 1 and json.loads(bad.stderr)["code"] == "rule.invalid"
    assert len(run("rules", "list", "frequency").stdout.splitlines()) == 1
    rules.write_text(json.dumps({"org_unit_code": "610112010", "name": "汉城街道每旬一天", "window": "xun",
                                 "count_mode": "days", "min_count": 1, "valid_from": "2026-12-01"}, ensure_ascii=False))
    added = run("rules", "add", "frequency", rules)
    assert added.returncode == 0, added.stderr
    listed = [json.loads(x) for x in run("rules", "list", "frequency").stdout.splitlines()]
    assert [r["name"] for r in listed] == ["村级巡查员每周巡河", "汉城街道每旬一天"]
    wrong = tmp_path / "plan.json"
    wrong.write_text(json.dumps({"org_unit_code": "610112", "kind": "pay", "name": "x", "valid_from": "2027-01-01",
                                 "definition": {"base": -5}}))
    refused = run("rules", "add", "plans", wrong)
    assert refused.returncode == 1 and "definition" in json.loads(refused.stderr)["errors"]

    preview = run("assess", "preview", "2026-10", "--unit", "610112")
    assert preview.returncode == 0, preview.stderr
    month = json.loads(preview.stdout)
    assert month["status"] == "preview" and len(month["lines"]) == 23
    assert {line["amount_fen"] for line in month["lines"]} == {60000}  # no patrols: all fail, CNY 600 each
    locked = run("assess", "lock", "2026-10", "--unit", "610112")
    assert locked.returncode == 0 and json.loads(locked.stdout)["amount_fen"] == 23 * 60000
    again = run("assess", "lock", "2026-10", "--unit", "610112")
    assert again.returncode == 1 and json.loads(again.stderr)["code"] == "assessment.locked"
    out = tmp_path / "payroll.xlsx"
    written = run("assess", "payroll", "2026-10", "--unit", "610112", "-o", out)
    assert written.returncode == 0 and "23 人" in written.stdout
    sheet = load_workbook(out)["乡镇合计"]
    assert list(sheet.iter_rows(values_only=True))[-1] == ("合计", 23, 13800.0, 0)
    assert run("assess", "preview", "2026-13", "--unit", "610112").returncode == 1


def test_cases_escalate_and_ledger_from_the_shell(engine_name, fresh_db, tmp_path):
    """The daily run as cron calls it, and the ledger an auditor asks for."""
    import datetime as dt

    url = fresh_db(demo=True)
    run = _cli(url, tmp_path)
    from sqlalchemy import select

    from server import create_app
    from server.auth.models import User
    from server.cases.models import Case
    from server.cases.reports import report
    from server.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x" * 40, "PHOTO_DIR": str(tmp_path)})
    with app.app_context():  # a case, assigned, whose deadline is long past (as if weeks had gone by)
        who = db.session.scalar(select(User).where(User.phone == "13900000101"))
        problem, _ = report(who, {"uuid": "aaaaaaaa-0000-4000-8000-000000000001", "category": "garbage",
                                  "severity": "general", "description": "漂浮物", "lon": 108.9, "lat": 34.3,
                                  "reported_at": dt.datetime(2026, 10, 8, 10, tzinfo=dt.UTC)})
        case = db.session.scalar(select(Case).where(Case.problem_id == problem.id))
        case.status, case.deadline = "assigned", dt.date(2026, 10, 20)
        db.session.commit()
        db.engine.dispose()
    done = run("cases", "escalate", "--date", "2026-10-21")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"case_no": "W20261008-AAAAAAAA0000", "level": 1, "step": "乡镇督办",
                                       "overdue_working_days": 1}
    assert run("cases", "escalate", "--date", "2026-10-21").stdout == ""  # once a level
    second = json.loads(run("cases", "escalate", "--date", "2026-10-27").stdout)
    assert (second["level"], second["step"], second["overdue_working_days"]) == (2, "县级督办", 5)
    out = tmp_path / "ledger.xlsx"
    assert run("cases", "ledger", "--unit", "610112", "-o", out).returncode == 0
    book = load_workbook(out)
    row = list(book["问题台账"].iter_rows(values_only=True))[2]
    assert (row[0], row[14], row[15]) == ("W20261008-AAAAAAAA0000", "是", 2)
    assert [r[2] for r in list(book["流转记录"].iter_rows(values_only=True))[1:]] == ["上报", "督办", "督办"]
