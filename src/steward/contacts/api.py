from steward.api.resource import resource_router
from steward.contacts.schemas import ContactCreate, ContactFilters, ContactOut, ContactUpdate
from steward.contacts.service import contact_service

router = resource_router(
    prefix="/contacts",
    tag="contacts",
    service=contact_service,
    out_model=ContactOut,
    create_model=ContactCreate,
    update_model=ContactUpdate,
    filters_model=ContactFilters,
)
