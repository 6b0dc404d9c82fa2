from steward.api.resource import resource_router
from steward.products.schemas import ProductCreate, ProductFilters, ProductOut, ProductUpdate
from steward.products.service import product_service

router = resource_router(
    prefix="/products",
    tag="products",
    service=product_service,
    out_model=ProductOut,
    create_model=ProductCreate,
    update_model=ProductUpdate,
    filters_model=ProductFilters,
)

api_routers = [router]
