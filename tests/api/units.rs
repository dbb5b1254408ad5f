use crate::both;
use crate::helpers::*;
use serde_json::json;

fn admins_manage_units_and_the_hierarchy_stays_a_tree(app: TestApp) {
    let admin = app.admin();
    let r = app
        .post("/api/v1/units", &admin, json!({
            "code": "PUSKESMAS_BERANGAS", "name": "Puskesmas Berangas", "parent": "DINKES",
            "email": "PKM.Berangas@Kotabaru.go.id", "head_name": "dr. Siti", "head_email": "siti@kotabaru.go.id"
        }))
        .expect(201);
    assert_eq!(
        r.header("location"),
        Some("/api/v1/units/PUSKESMAS_BERANGAS")
    );
    assert_eq!(
        r.body,
        json!({
            "code": "PUSKESMAS_BERANGAS", "name": "Puskesmas Berangas", "parent": "DINKES",
            "email": "pkm.berangas@kotabaru.go.id", "head_name": "dr. Siti", "head_email": "siti@kotabaru.go.id", "active": true
        })
    );
    app.post(
        "/api/v1/units",
        &admin,
        json!({"code": "POSYANDU_1", "name": "Posyandu 1", "parent": "PUSKESMAS_BERANGAS"}),
    )
    .expect(201);

    // No cycles: a unit cannot move under itself or its own descendants.
    let r = app
        .patch(
            "/api/v1/units/DINKES",
            &admin,
            json!({"parent": "POSYANDU_1"}),
        )
        .problem(422);
    assert_eq!(r.body["errors"][0]["field"], "parent");
    app.patch("/api/v1/units/DINKES", &admin, json!({"parent": "DINKES"}))
        .problem(422);
    app.patch("/api/v1/units/DINKES", &admin, json!({"parent": "NOPE"}))
        .problem(422);
    // Moving elsewhere is fine, and null detaches.
    let r = app
        .patch(
            "/api/v1/units/POSYANDU_1",
            &admin,
            json!({"parent": "DINKES"}),
        )
        .expect(200);
    assert_eq!(r.body["parent"], "DINKES");
    let r = app
        .patch(
            "/api/v1/units/POSYANDU_1",
            &admin,
            json!({"parent": null, "head_name": "Bidan Rina"}),
        )
        .expect(200);
    assert_eq!(r.body["parent"], json!(null));
    assert_eq!(r.body["head_name"], "Bidan Rina");
    assert_eq!(r.body["name"], "Posyandu 1", "absent fields are kept");

    // Referenced units are deactivated, not deleted.
    let r = app
        .delete("/api/v1/units/DINKES", &admin)
        .problem_of(409, "in-use");
    assert!(
        r.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("deactivate")),
        "{}",
        r.text
    );
    let r = app
        .patch("/api/v1/units/DINKES", &admin, json!({"active": false}))
        .expect(200);
    assert_eq!(r.body["active"], false);
    app.get("/api/v1/units/DINKES", &admin).expect(200);
    // A unit nothing refers to can go.
    app.delete("/api/v1/units/POSYANDU_1", &admin).expect(204);
    app.get("/api/v1/units/POSYANDU_1", &admin).problem(404);

    // Every change is in the audit trail, with before and after.
    let mut conn = app.db.connect();
    let events = tanggap::store::audit::by_subject(&mut conn, "unit:POSYANDU_1").expect("events");
    let actions: Vec<&str> = events.iter().rev().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "unit.created",
            "unit.updated",
            "unit.updated",
            "unit.deleted"
        ]
    );
    assert!(events.iter().all(|e| e.actor == ADMIN));
    let moved: serde_json::Value = serde_json::from_str(&events[2].changes).expect("json");
    assert_eq!(
        moved["parent"],
        json!({"before": "PUSKESMAS_BERANGAS", "after": "DINKES"})
    );
    let deactivated = tanggap::store::audit::by_subject(&mut conn, "unit:DINKES").expect("events");
    assert_eq!(deactivated[0].action, "unit.deactivated");
}
both!(admins_manage_units_and_the_hierarchy_stays_a_tree);

fn others_read_units_but_cannot_change_them(app: TestApp) {
    let pic = app.login(PIC_DINKES, DEMO_PASSWORD);
    let leader = app.login(LEADER, DEMO_PASSWORD);
    assert_eq!(
        app.get("/api/v1/units/DINKES", &pic).expect(200).body["name"],
        "Dinas Kesehatan"
    );
    app.get("/api/v1/units?limit=2", &leader).expect(200);
    app.post("/api/v1/units", &pic, json!({"code": "X1", "name": "X"}))
        .problem(403);
    app.patch("/api/v1/units/DINKES", &leader, json!({"name": "Y"}))
        .problem(403);
    app.delete("/api/v1/units/BPBD", &pic).problem(403);
    // What does not exist is 404 first.
    app.patch("/api/v1/units/NOPE", &pic, json!({"name": "Y"}))
        .problem(404);
}
both!(others_read_units_but_cannot_change_them);
