import json, logging
from server.extensions import db
A="13900000001"
def fc(*f): return {"type":"FeatureCollection","features":list(f)}
BOX={"type":"Polygon","coordinates":[[[108.95,34.39,400],[108.954,34.39,400],[108.954,34.394,400],[108.95,34.394,400],[108.95,34.39,400]]]}
BOX2={"type":"Polygon","coordinates":[[[108.95,34.39],[108.954,34.39],[108.954,34.394],[108.95,34.394],[108.95,34.39]]]}
LINE={"type":"LineString","coordinates":[[108.95,34.39],[108.96,34.39]]}
def feat(g,**p): return {"type":"Feature","properties":p,"geometry":g}
def test_probe(engine_name, api, caplog):
    t=api.token(A)
    def show(label, path, body, q=""):
        caplog.clear()
        r=api.post(path+q, token=t, json=body); print(label, r.status_code, r.text[:300])
        for rec in caplog.records:
            if rec.exc_info: print("   EXC:", str(rec.exc_info[1]).splitlines()[0][:300])
    show("3d polygon", "/api/v1/grids/import", fc(feat(BOX, code="X3", name="x", level="village", parent_code="610112008")))
    show("long name 101", "/api/v1/grids/import", fc(feat(BOX2, code="X8", name="村"*101, level="village", parent_code="610112008")))
    show("seg river name 90 + code 40", "/api/v1/segments/import", fc(feat(LINE, code="S"*40, river_code="R9", river_name="河"*90, grid_code="610112008002")))
    show("seg river name 101", "/api/v1/segments/import", fc(feat(LINE, code="S10", river_code="R10", river_name="河"*101, grid_code="610112008002")))
    show("grid under village", "/api/v1/grids/import", fc(feat(BOX2, code="X11", name="x", level="village", parent_code="610112008001")))
