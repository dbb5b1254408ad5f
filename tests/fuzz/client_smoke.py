"""Walks one issue from filing to close through a client generated from our OpenAPI document
(openapi-python-client), as a team integrating with Tanggap would: every call goes through a
generated, typed operation (`triage`, `respond`, `resolve`, `close`, ...) with its own body
model, and every answer is parsed by the generated models. Run by tests/fuzz/run:

    python3 client_smoke.py BASE_URL          (the generated package on PYTHONPATH)
"""

import sys

from tanggap_api_client import AuthenticatedClient, Client
from tanggap_api_client.api.auth import token
from tanggap_api_client.api.issues import (
    close,
    file_issue,
    get_issue,
    history,
    list_issues,
    resolve,
    respond,
    triage,
)
from tanggap_api_client.models import (
    Category,
    Channel,
    Credentials,
    EmptyBody,
    Issue,
    NewIssue,
    PageIssue,
    Problem,
    Status,
    TextBody,
    TriageBody,
)


def check(cond, what):
    if not cond:
        raise SystemExit(f"client smoke: {what}")


def main(base):
    login = token.sync(
        client=Client(base_url=base),
        body=Credentials(email="trc@demo.tanggap.id", password="tanggap-demo"),
    )
    check(not isinstance(login, Problem) and login is not None, f"login: {login}")
    api = AuthenticatedClient(base_url=base, token=login.access_token)

    filed = file_issue.sync(
        client=api,
        body=NewIssue(
            title="Klien OpenAPI: jalan berlubang di Jl. Raya Stagen",
            description="Laporan warga lewat Facebook, difoto pagi ini.",
            category=Category.INFRASTRUKTUR,
            channel=Channel.FACEBOOK,
            source_urls=["https://www.facebook.com/kotabaru/posts/42"],
        ),
        idempotency_key="client-smoke-1",
    )
    check(isinstance(filed, Issue), f"filing: {filed}")
    ref = filed.ref

    # Closing a new issue is refused: 409 as a Problem naming the allowed actions.
    refused = close.sync_detailed(ref, client=api, body=EmptyBody())
    check(refused.status_code == 409, f"close while new: {refused.status_code}")
    check(isinstance(refused.parsed, Problem), f"409 parsed as Problem: {refused.parsed}")
    check("triage" in (refused.parsed.allowed_actions or []),
          f"allowed_actions: {refused.parsed}")

    # A stale If-Match is refused with 412.
    stale = triage.sync_detailed(ref, client=api, body=TriageBody(unit="DPUPR"), if_match='"999"')
    check(stale.status_code == 412, f"stale If-Match: {stale.status_code}")

    steps = [
        (triage, TriageBody(unit="DPUPR"), Status.ASSIGNED),
        (respond, TextBody(text="Terima kasih, tim DPUPR meninjau lokasi hari ini."), Status.RESPONDED),
        (resolve, TextBody(text="Lubang sudah ditambal."), Status.RESOLVED),
        (close, EmptyBody(), Status.CLOSED),
    ]
    for op, body, want in steps:
        version = get_issue.sync(ref, client=api).version
        after = op.sync(ref, client=api, body=body, if_match=f'"{version}"')
        check(isinstance(after, Issue), f"{op.__name__}: {after}")
        check(after.status == want, f"{op.__name__}: status {after.status}, expected {want}")

    page = list_issues.sync(client=api, limit=5, status="closed")
    check(isinstance(page, PageIssue), f"list: {page}")
    check(any(i.ref == ref for i in page.items), "the closed issue is listed")
    events = history.sync(ref, client=api, limit=50)
    actions = [e.action for e in events.items]
    check(actions[0] == "issue.filed", f"history starts with the filing: {actions}")
    print(f"client smoke: {ref} filed, triaged, answered, resolved and closed through the generated client")


if __name__ == "__main__":
    main(sys.argv[1])
