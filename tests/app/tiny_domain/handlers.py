from __future__ import annotations

from steward.contracts.events import ContractCreated
from steward.core.events import handles
from tests.app.tiny_domain.models import TinyNote


@handles(ContractCreated)
def note_the_contract(event: ContractCreated) -> None:
    event.session.add(TinyNote(account_id=event.contract.account_id, text="contract signed"))
