"""A chief's assistant on the phone (代巡, Guangzhou 2021): the chief's card, named with the assistant, is on the
assistant's home screen as "代 X（村级河长）巡河" with its own start button, and the patrol screen says for whom it is
walked; at the largest text size, nothing clipped."""
from __future__ import annotations

import requests

from .conftest import DEMO_PASSWORD
from .test_taps import _run

ADMIN, CHIEF, ASSISTANT = "13900000001", "13900000104", "13900000103"  # (no other phone test signs in as these)


def _chief_card(county) -> str:
    """The admin issues a 村级河长 card to the chief, on their village, naming the assistant; the chief's name."""
    chief, helper = county.get("/me", CHIEF).json(), county.get("/me", ASSISTANT).json()
    own = county.get("/me/cards", CHIEF).json()["cards"][0]
    r = requests.post(f"{county.base}/api/v1/cards", headers={"Authorization": f"Bearer {county.token(ADMIN)}"},
                      json={"inspector_id": chief["id"], "grid_id": own["grid"]["id"], "duty": "village_chief",
                            "segment_ids": [own["segments"][0]["id"]], "assistant_id": helper["id"],
                            "valid_from": own["valid_from"], "reason": "村级河长，助理代巡"}, timeout=20)
    assert r.status_code == 201, r.text
    return chief["name"]


def test_the_assistant_patrols_on_the_chiefs_card(county, display, tmp_path):
    chief = _chief_card(county)

    def look(name: str) -> list[dict]:
        return [{"do": "wait", "seconds": 0.4}, {"do": "check_layout", "name": name}]

    script = [{"do": "wait_screen", "name": "login"}, {"do": "text", "id": "phone", "value": ASSISTANT},
              {"do": "text", "id": "password", "value": DEMO_PASSWORD}, {"do": "tap", "id": "login_btn"},
              {"do": "wait_screen", "name": "home", "timeout": 60}, *look("home"), {"do": "say_all"},
              {"do": "tap", "text": "开始代巡"}, {"do": "wait_screen", "name": "patrol"}, *look("patrol"),
              {"do": "say", "id": "title"}]
    out = _run(script, county, display, tmp_path, density="2.75", fontscale="1.5")
    # the home screen: the assistant's own card as 巡查员, the chief's as a patrol on the chief's behalf
    assert f"代 {chief}（村级河长）巡河" in out and "巡查员 · " in out
    assert f"said title: 代 {chief}（村级河长）巡河 · " in out
    layouts = {line.split(":")[0]: line.partition(": ")[2] for line in out.splitlines() if line.startswith("layout ")}
    assert layouts == {"layout home": "[]", "layout patrol": "[]"}, layouts
