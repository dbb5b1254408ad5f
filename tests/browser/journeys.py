"""Journeys through the web console in a real browser (Debian's Chromium, driven by Playwright).

Usage: journeys.py BASE_URL MAIL_DIR AXE_JS [SCREENSHOT_DIR]

Each journey is what a person does: the TRC triages from the board on a phone, the unit's PIC
answers and the clock stops, a leader opens an escalation email's link without logging in, a
changed link is refused, a PIC cannot open another unit's restricted issue, a form without its
CSRF token is refused, an edit on a stale version shows the conflict, a photo uploaded as
evidence is kept without its GPS position. axe-core checks each page
for serious or critical accessibility violations.
"""

import email
import json
import os
import re
import sys
import time
import urllib.request

from playwright.sync_api import sync_playwright, expect

BASE, MAIL_DIR, AXE, SHOTS = (sys.argv[1:] + [""])[:4]
PASSWORD = "tanggap-demo"
TRC, PIC_DINKES, PIC_DPUPR = "trc@demo.tanggap.id", "pic.dinkes@demo.tanggap.id", "pic.dpupr@demo.tanggap.id"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
CHROMIUM = "/usr/bin/chromium"


def api(method, path, token=None, body=None):
    req = urllib.request.Request(BASE + path, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    data = json.dumps(body).encode() if body is not None else None
    with urllib.request.urlopen(req, data, timeout=30) as r:
        return json.loads(r.read() or b"null")


def photo_with_gps():
    """A small JPEG whose EXIF carries a GPS position, as a phone's photo does."""
    exif = b"Exif\0\0MM\0*GPSLatitude -3.2416 GPSLongitude 116.2216"
    return (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
            + b"\xff\xe1" + (len(exif) + 2).to_bytes(2, "big") + exif
            + b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00\x12\x34\x56\x78\xff\xd9")


def raw(path, token):
    req = urllib.request.Request(BASE + path)
    req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.headers, r.read()


def token(user):
    return api("POST", "/api/v1/auth/token", body={"email": user, "password": PASSWORD})["access_token"]


FILED = []


def file_issue(user, title, **extra):
    """Files through the API; each report its own post (one shared post would make every
    issue "the same post" to similar issues)."""
    FILED.append(title)
    body = {
        "title": title,
        "description": "Laporan warga: " + title,
        "category": "infrastruktur",
        "channel": "facebook",
        "source_urls": [f"https://www.facebook.com/kotabaru/posts/{len(FILED)}"],
    }
    body.update(extra)
    return api("POST", "/api/v1/issues", token(user), body)["ref"]


def card_of(page, title):
    """The board's card of the issue titled `title` (not one that merely names it as similar)."""
    return page.locator("li.card", has=page.locator("h2", has_text=title))


def axe(page, name):
    """No serious or critical accessibility violation on the page."""
    page.add_script_tag(path=AXE)
    found = page.evaluate(
        """async () => (await axe.run()).violations
            .filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))"""
    )
    assert not found, f"{name}: accessibility violations: {found}"


def fits(page, name):
    """Nothing wider than the screen: no sideways scrolling on a phone."""
    wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert wide <= 0, f"{name}: {wide} px wider than the screen"


def light(page, name, limit=60_000):
    """The page, its style sheet and script weigh less than `limit` bytes (before images)."""
    weight = 0
    for asset in (page.url[len(BASE):], "/static/app.css", "/static/app.js"):
        weight += len(page.request.get(BASE + asset).body())
    assert weight < limit, f"{name}: {weight} bytes"


def shot(page, name):
    if SHOTS:
        os.makedirs(SHOTS, exist_ok=True)
        page.screenshot(path=os.path.join(SHOTS, name + ".png"), full_page=True)


def login(page, user):
    page.goto(BASE + "/masuk")
    page.get_by_label("Email").fill(user)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()


def action(page, value, label):
    """The form of action `value`, its panel opened (the first one is open already)."""
    panel = page.locator("details.action", has=page.locator(f"input[value={value}]"))
    expect(panel.locator("summary")).to_have_text(label)
    panel.evaluate("el => { el.open = true; }")
    return panel.locator("form")


def mail_links(reference, recipient, wait=60):
    """The console links in the emails about `reference` to `recipient`."""
    deadline = time.time() + wait
    while time.time() < deadline:
        found = []
        for name in os.listdir(MAIL_DIR) if os.path.isdir(MAIL_DIR) else []:
            with open(os.path.join(MAIL_DIR, name), "rb") as f:
                m = email.message_from_binary_file(f)
            if recipient not in (m["To"] or "") or reference not in (m["Subject"] or ""):
                continue
            for part in m.walk():
                if part.get_content_type() == "text/plain":
                    text = part.get_payload(decode=True).decode()
                    found += re.findall(r"https?://\S+/tautan/\S+", text)
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"no email to {recipient} about {reference} within {wait} s")


def local(link):
    """A link from an email, on this test's server (emails carry server.public_base_url)."""
    return BASE + link[link.index("/tautan/"):]


def main():
    escalated = file_issue(PIC_DINKES, "Hoaks jembatan putus di Sigam", priority="critical")
    trc_token = token(TRC)
    secret = file_issue(TRC, "Isu SARA rahasia di Sebelimbingan", sensitivity="restricted")
    api("POST", f"/api/v1/issues/{secret}/triage", trc_token, {"unit": "DPUPR"})

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])

        # The Puskesmas PIC, on a phone: files from the form, sees the proposed unit first.
        filer = browser.new_context(viewport=PHONE, bypass_csp=True).new_page()
        login(filer, PIC_DINKES)
        expect(filer).to_have_url(BASE + "/antrean")
        filer.get_by_role("link", name="Laporkan isu").click()
        filer.get_by_label("Judul").fill("Antrean obat di Puskesmas Sebatik mengular")
        filer.get_by_label("Uraian").fill("Warga mengunggah video antrean obat sejak subuh.")
        filer.get_by_label("Kategori").select_option("kesehatan")
        filer.get_by_label("Kanal").select_option("facebook")
        filer.get_by_label("Tautan unggahan").fill("https://www.facebook.com/kotabaru/posts/99")
        filer.get_by_label("Perkiraan jangkauan").fill("12000")
        filer.get_by_label("Kecamatan").fill("Sebatik")
        filer.get_by_role("button", name="Periksa usulan unit").click()
        expect(filer.get_by_role("status")).to_contain_text("Usulan unit")
        axe(filer, "filing form")
        fits(filer, "filing form")
        shot(filer, "file-phone")
        filer.get_by_role("button", name="Kirim laporan").click()
        expect(filer.get_by_role("status")).to_contain_text("Laporan terkirim")
        reference = re.search(r"/isu/(ISU-\d{4}-\d+)", filer.url).group(1)
        filed = api("GET", f"/api/v1/issues/{reference}", trc_token)
        assert filed["evidence"]["reach"] == 12000 and filed["location"]["district"] == "Sebatik", filed

        # The TRC, on a phone: the board, most urgent first; triage from the card.
        trc = browser.new_context(viewport=PHONE, bypass_csp=True).new_page()
        login(trc, TRC)
        expect(trc).to_have_url(BASE + "/triase")
        expect(trc.get_by_role("heading", name="Papan triase")).to_be_visible()
        card = card_of(trc, "Antrean obat di Puskesmas Sebatik mengular")
        expect(card).to_be_visible()
        axe(trc, "triage board")
        fits(trc, "triage board")
        light(trc, "triage board")
        shot(trc, "board-phone")
        card.get_by_role("button", name="Triase ke DINKES").click()
        expect(trc).to_have_url(BASE + "/triase")
        expect(card_of(trc, "Antrean obat di Puskesmas Sebatik mengular")).to_have_count(0)
        issue = api("GET", f"/api/v1/issues/{reference}", trc_token)
        assert issue["status"] == "assigned" and issue["assigned_unit"] == "DINKES", issue
        # The board shows a report filed meanwhile by itself (its script asks whether the board
        # changed and reloads), with no tap.
        file_issue(PIC_DINKES, "Kabar sumur beracun di Semayap")
        expect(card_of(trc, "Kabar sumur beracun di Semayap")).to_be_visible(timeout=30_000)

        # The PIC of the unit, at a desk: answers publicly; the response clock stops.
        ctx = browser.new_context(viewport=DESKTOP, bypass_csp=True)
        pic = ctx.new_page()
        login(pic, PIC_DINKES)
        pic.goto(f"{BASE}/isu/{reference}")
        expect(pic.get_by_role("heading", name="Antrean obat di Puskesmas Sebatik mengular")).to_be_visible()
        axe(pic, "issue page")
        # Evidence from the PIC's desk: a photo with its GPS position, kept and served without it.
        pic.get_by_label(re.compile("Tangkapan layar")).set_input_files(
            files=[{"name": "antrean obat.jpg", "mimeType": "image/jpeg", "buffer": photo_with_gps()}])
        pic.get_by_role("button", name="Unggah bukti").click()
        expect(pic.get_by_role("link", name="antrean_obat.jpg")).to_be_visible()
        axe(pic, "issue page with evidence")
        kept = api("GET", f"/api/v1/issues/{reference}/evidence", trc_token)["items"]
        headers, body = raw(f"/api/v1/issues/{reference}/evidence/{kept[0]['id']}", trc_token)
        assert b"GPSLatitude" not in body and b"JFIF" in body, body
        assert headers["X-Content-Type-Options"] == "nosniff", headers
        shot(pic, "issue-desktop")
        form = action(pic, "respond", "Tanggapi")
        form.get_by_label("Tanggapan publik").fill("Sudah kami cek; perbaikan dijadwalkan pekan ini.")
        form.get_by_role("button", name="Tanggapi").click()
        expect(pic.get_by_role("status")).to_contain_text("tersimpan")
        expect(pic.locator("table.clocks")).to_contain_text("met")
        issue = api("GET", f"/api/v1/issues/{reference}", trc_token)
        response = [c for c in issue["clocks"] if c["kind"] == "response"][0]
        assert issue["status"] == "responded" and response["state"] == "met", issue

        # Two tabs of the same issue: the second's edit, on the version it read, is refused.
        first, second = ctx.new_page(), ctx.new_page()
        first.goto(f"{BASE}/isu/{reference}")
        second.goto(f"{BASE}/isu/{reference}")
        form = action(first, "hold", "Tunda")
        form.get_by_label("Alasan").fill("Menunggu anggaran")
        form.get_by_role("button", name="Tunda").click()
        expect(first.get_by_role("status")).to_contain_text("tersimpan")
        form = action(second, "resolve", "Selesaikan")
        form.get_by_label("Tanggapan publik").fill("Selesai")
        form.get_by_role("button", name="Selesaikan").click()
        expect(second.get_by_role("alert")).to_contain_text("diubah orang lain")
        assert api("GET", f"/api/v1/issues/{reference}", trc_token)["status"] == "on_hold"

        # A form posted without the session's CSRF token changes nothing.
        r = pic.request.post(f"{BASE}/isu/{reference}/aksi", form={"action": "resume", "version": "4"})
        assert r.status == 403, r.status
        assert api("GET", f"/api/v1/issues/{reference}", trc_token)["status"] == "on_hold"

        # A PIC cannot open another unit's restricted issue: answered as if it did not exist.
        pic.goto(f"{BASE}/isu/{secret}")
        expect(pic.get_by_role("heading", name="Tidak ditemukan")).to_be_visible()
        assert "Sebelimbingan" not in pic.content()

        # A leader opens the escalation email's link on a phone, without logging in.
        link = local(mail_links(escalated, "leader@demo.tanggap.id")[0])
        leader = browser.new_context(viewport=PHONE, bypass_csp=True).new_page()
        leader.goto(link)
        expect(leader.get_by_role("heading", name="Hoaks jembatan putus di Sigam")).to_be_visible()
        expect(leader.get_by_text("Tampilan baca saja")).to_be_visible()
        assert leader.locator("form[action$='/aksi']").count() == 0, "read-only"
        axe(leader, "email link")
        fits(leader, "email link")
        shot(leader, "link-phone")
        # A changed link is refused plainly.
        leader.goto(link.replace("&t=", "&t=A"))
        expect(leader.get_by_role("heading", name="Tidak diizinkan")).to_be_visible()
        assert "Sigam" not in leader.content()

        # The leader's dashboard at a desk: the report with its bars, and its CSV.
        boss = browser.new_context(viewport=DESKTOP, bypass_csp=True).new_page()
        login(boss, "leader@demo.tanggap.id")
        expect(boss).to_have_url(BASE + "/eskalasi")
        boss.get_by_role("link", name="Dasbor").click()
        expect(boss.get_by_role("heading", name="Dasbor pemantauan dan evaluasi")).to_be_visible()
        boss.get_by_label("Menurut").select_option("category")
        boss.get_by_role("button", name="Tampilkan").click()
        expect(boss.locator("table")).to_contain_text("kesehatan")
        with boss.expect_download() as d:
            boss.get_by_role("link", name="Unduh CSV").click()
        assert "kesehatan" in open(d.value.path(), encoding="utf-8").read()
        axe(boss, "dashboard")
        shot(boss, "dashboard-desktop")

        # The TRC merges a second report of the same hoax from the issue page, finding it by words.
        twin = file_issue(PIC_DINKES, "Jembatan Sigam putus katanya, hoaks?")
        merger = browser.new_context(viewport=PHONE, bypass_csp=True).new_page()
        login(merger, TRC)
        # The board's card of the second report names the first as looking alike, with a link.
        merger.goto(f"{BASE}/triase")
        alike = card_of(merger, "Jembatan Sigam putus katanya, hoaks?").locator("div.alike")
        expect(alike).to_be_visible()
        expect(alike.get_by_role("link", name=re.compile(escalated))).to_be_visible()
        axe(merger, "board with a look-alike")
        merger.goto(f"{BASE}/isu/{twin}")
        panel = merger.locator("details.action", has=merger.locator("input[value=merge]"))
        panel.evaluate("el => { el.open = true; }")
        panel.get_by_label("Cari isu tujuan").fill("jembatan putus")
        panel.get_by_role("button", name="Cari").click()
        merger.get_by_role("button", name=f"Gabungkan ke {escalated}").click()
        expect(merger.get_by_role("status")).to_contain_text("tersimpan")
        assert api("GET", f"/api/v1/issues/{twin}", trc_token)["duplicate_of"] == escalated
        axe(merger, "merged issue")
        fits(merger, "merged issue")

        # The language follows the person: English from the header, kept for their next sign-in.
        merger.goto(BASE + "/triase")
        merger.get_by_role("button", name="English").click()
        expect(merger.get_by_role("heading", name="Triage board")).to_be_visible()
        again = browser.new_context(viewport=DESKTOP, bypass_csp=True).new_page()
        login(again, TRC)
        expect(again.get_by_role("heading", name="Triage board")).to_be_visible()
        again.get_by_role("button", name="Bahasa Indonesia").click()
        expect(again.get_by_role("heading", name="Papan triase")).to_be_visible()

        # The administrator at a desk: the unit tree, a new unit, the rules' preview, users,
        # the outbox and the audit check.
        admin = browser.new_context(viewport=DESKTOP, bypass_csp=True).new_page()
        login(admin, "admin@demo.tanggap.id")
        admin.get_by_role("link", name="Admin", exact=True).click()
        expect(admin.get_by_role("heading", name="Unit kerja")).to_be_visible()
        admin.get_by_label("Kode").fill("PKM_SEBATIK")
        admin.get_by_label("Nama", exact=True).fill("Puskesmas Sebatik")
        admin.get_by_label("Induk").select_option("DINKES")
        admin.get_by_role("button", name="Simpan").click()
        expect(admin.get_by_role("status")).to_contain_text("Tersimpan")
        expect(admin.locator("ul.tree li.d1", has_text="Puskesmas Sebatik")).to_be_visible()
        axe(admin, "units")
        shot(admin, "units-desktop")
        admin.get_by_role("link", name="Aturan penerusan").click()
        admin.get_by_label("Judul").fill("Vaksin palsu beredar di Sebatik")
        admin.get_by_label("Kategori", exact=True).select_option("kesehatan")
        admin.get_by_label("Kanal", exact=True).select_option("tiktok")
        admin.get_by_role("button", name="Uji").click()
        expect(admin.get_by_role("status")).to_contain_text("Diusulkan ke DINKES")
        expect(admin.locator("ol.trace")).to_contain_text("cocok")
        axe(admin, "routing rules")
        shot(admin, "rules-desktop")
        admin.get_by_role("link", name="Pengguna").click()
        expect(admin.locator("table")).to_contain_text("pic.dinkes@demo.tanggap.id")
        axe(admin, "users")
        admin.get_by_role("link", name="Kotak keluar").click()
        expect(admin.get_by_role("heading", name="Kotak keluar: gagal (surat mati)")).to_be_visible()
        axe(admin, "outbox")
        admin.get_by_role("link", name="Jejak audit").click()
        admin.get_by_role("button", name="Periksa sekarang").click()
        expect(admin.get_by_role("status")).to_contain_text("Utuh")
        axe(admin, "audit")
        # The same pages fit a phone.
        phone = browser.new_context(viewport=PHONE, bypass_csp=True).new_page()
        login(phone, "admin@demo.tanggap.id")
        for path in ("/admin/unit", "/admin/pengguna", "/admin/aturan", "/admin/kotak-keluar"):
            phone.goto(BASE + path)
            fits(phone, path)
            light(phone, path)

        # A hoax clarified for the public: the PIC proposes it from the issue page, the TRC
        # approves it with an edit, the public reads it (with ClaimReview), a partner's link
        # acknowledges it and reports a reshare, and the evaluation counts it.
        hoax = file_issue(TRC, "Hoaks vaksin campak sebabkan kemandulan", category="hoaks_disinformasi",
                          verdict="hoaks", disinformation_type="fabricated",
                          location={"district": "Pulau Laut Utara"})
        api("POST", f"/api/v1/issues/{hoax}/triage", trc_token, {"unit": "DINKES"})
        api("POST", "/api/v1/partners", trc_token, {"name": "Radar Kotabaru", "kind": "media",
            "email": "redaksi@radar.example", "topics": ["hoaks_disinformasi"]})
        api("POST", "/api/v1/partners", trc_token, {"name": "KIM Pulau Laut", "kind": "kim",
            "email": "kim@pulaulaut.example", "districts": ["Pulau Laut Utara"]})
        proposer = browser.new_context(viewport=PHONE, bypass_csp=True).new_page()
        login(proposer, PIC_DINKES)
        proposer.goto(f"{BASE}/isu/{hoax}")
        proposer.get_by_label("Teks klarifikasi").fill("Vaksin campak aman. Tidak ada bukti vaksin menyebabkan kemandulan.")
        proposer.get_by_label("Sumber resmi (satu URL per baris)").fill("https://dinkes.kotabarukab.go.id/vaksin")
        proposer.get_by_role("button", name="Ajukan ke TRC").click()
        expect(proposer.locator("#klarifikasi")).to_contain_text("Diajukan, menunggu keputusan TRC")
        axe(proposer, "issue page with a proposed clarification")
        fits(proposer, "issue page with a proposed clarification")
        approver = browser.new_context(viewport=PHONE, bypass_csp=True).new_page()
        login(approver, TRC)
        approver.get_by_role("link", name="Klarifikasi", exact=True).click()
        card = approver.locator("li.card", has=approver.get_by_role("link", name=hoax))
        card.get_by_label("Judul untuk publik").fill("[HOAKS] Vaksin campak tidak menyebabkan kemandulan")
        axe(approver, "incoming clarifications")
        fits(approver, "incoming clarifications")
        shot(approver, "clarifications-phone")
        card.get_by_role("button", name="Setujui dan terbitkan").click()
        expect(approver.get_by_role("status")).to_contain_text("diterbitkan")
        reader = browser.new_context(viewport=PHONE).new_page()
        reader.goto(BASE + "/klarifikasi")
        reader.get_by_role("link", name="[HOAKS] Vaksin campak tidak menyebabkan kemandulan").click()
        expect(reader.locator(".verdict-box")).to_contain_text("Hoaks")
        ld = json.loads(reader.locator("script[type='application/ld+json']").text_content())
        assert ld["@type"] == "ClaimReview" and ld["reviewRating"]["alternateName"] == "Hoaks", ld
        assert hoax not in reader.content(), "the issue's ref is not public"
        reader_axe = browser.new_context(viewport=PHONE, bypass_csp=True).new_page()
        reader_axe.goto(reader.url)
        axe(reader_axe, "public clarification")
        fits(reader_axe, "public clarification")
        shot(reader_axe, "public-clarification-phone")
        reader_axe.goto(BASE + "/klarifikasi?q=vaksin")
        axe(reader_axe, "public list")
        fits(reader_axe, "public list")
        public_id = ld["url"].rsplit("/", 1)[1]
        link = None
        deadline = time.time() + 60
        while link is None and time.time() < deadline:
            for name in os.listdir(MAIL_DIR) if os.path.isdir(MAIL_DIR) else []:
                with open(os.path.join(MAIL_DIR, name), "rb") as f:
                    m = email.message_from_binary_file(f)
                if "redaksi@radar.example" in (m["To"] or "") and public_id in (m["Subject"] or ""):
                    for part in m.walk():
                        if part.get_content_type() == "text/plain":
                            found = re.findall(r"https?://\S+(/mitra/\S+)", part.get_payload(decode=True).decode())
                            link = found[0] if found else None
            time.sleep(0.3)
        assert link, "the partner's mail with its link"
        partner_page = browser.new_context(viewport=PHONE, bypass_csp=True).new_page()
        partner_page.goto(BASE + link)
        expect(partner_page.get_by_text("Yth. Radar Kotabaru")).to_be_visible()
        axe(partner_page, "partner page")
        fits(partner_page, "partner page")
        partner_page.get_by_role("button", name="Klarifikasi sudah kami terima").click()
        expect(partner_page.get_by_role("status")).to_contain_text("penerimaan dicatat")
        partner_page.get_by_label("Alamat (URL) tempat Anda menyebarkannya").fill("https://radar.example/berita/vaksin-campak")
        partner_page.get_by_label("Perkiraan jangkauan").fill("12500")
        partner_page.get_by_role("button", name="Laporkan").click()
        expect(partner_page.get_by_role("status")).to_contain_text("penyebaran dicatat")
        partner_page.goto(BASE + link.replace("&t=", "&t=x"))
        expect(partner_page.get_by_text("tidak valid", exact=False)).to_be_visible()
        approver.get_by_role("link", name="Mitra", exact=True).click()
        row = approver.locator("tr", has=approver.get_by_role("cell", name="Radar Kotabaru", exact=True))
        expect(row).to_contain_text("12500")
        axe(approver, "partners")
        fits(approver, "partners")

        # A citizen on a phone asks without an account, keeps the tracking code, and later
        # reads the status; the request waits in the TRC's queue.
        citizen = browser.new_context(viewport=PHONE, bypass_csp=True).new_page()
        citizen.goto(BASE + "/klarifikasi")
        citizen.get_by_role("link", name="Minta klarifikasi").click()
        axe(citizen, "citizen form")
        fits(citizen, "citizen form")
        shot(citizen, "citizen-form-phone")
        citizen.get_by_label("Apa yang ingin Anda tanyakan?").fill("Benarkah ada pembagian sembako gratis lewat tautan WhatsApp ini?")
        citizen.get_by_label("Tautan yang meragukan").fill("https://wa.me/6281200000000")
        sum_text = citizen.get_by_label(re.compile("Pertanyaan pengaman")).evaluate("el => el.labels[0].textContent")
        a, b = map(int, re.findall(r"(\d+) \+ (\d+)", sum_text)[0])
        citizen.get_by_label(re.compile("Pertanyaan pengaman")).fill(str(a + b))
        time.sleep(3.2)  # people read before they send: the form refuses anything faster
        citizen.get_by_role("button", name="Kirim permintaan").click()
        expect(citizen.get_by_role("status")).to_contain_text("Simpan kode pelacakan ini")
        code = citizen.locator("strong.code").text_content()
        expect(citizen.locator("dl.facts")).to_contain_text("Diterima, menunggu pemeriksaan")
        axe(citizen, "tracking page")
        fits(citizen, "tracking page")
        citizen.goto(BASE + "/klarifikasi/lacak")
        citizen.get_by_label("Kode pelacakan").fill(code.lower())
        citizen.get_by_role("button", name="Lacak").click()
        expect(citizen.locator("dl.facts")).to_contain_text("Diterima")
        queue = api("GET", "/api/v1/queues/triage?limit=200", trc_token)["items"]
        assert any(i["channel"] == "publik" and "sembako gratis" in i["title"] for i in queue), queue

        # The login page, at both widths, for the README.
        anon = browser.new_context(viewport=PHONE, bypass_csp=True).new_page()
        anon.goto(BASE + "/masuk")
        axe(anon, "login")
        fits(anon, "login")
        shot(anon, "login-phone")
        desk = browser.new_context(viewport=DESKTOP, bypass_csp=True).new_page()
        login(desk, TRC)
        shot(desk, "board-desktop")
        browser.close()
    print("journeys: PIC files on a phone (proposal first), TRC triage on a phone, PIC response stops the clock, evidence kept without its GPS position, stale edit refused, "
          "CSRF-less post refused, restricted issue hidden, leader's email link opens read-only, "
          "changed link refused, the leader's dashboard and its CSV, a look-alike named on the board, a merge found by words, the language kept per person, "
          "the administrator's units, rules preview, users, outbox and audit check, a hoax clarified: proposed, approved, "
          "public page with ClaimReview, a partner's acknowledgement and reshare, the partner evaluation, a citizen's request and its tracking code; axe: no serious violations")


if __name__ == "__main__":
    main()
