from steward.api.resource import resource_router
from steward.tasks.schemas import TaskCreate, TaskFilters, TaskOut, TaskUpdate
from steward.tasks.service import task_service

router = resource_router(
    prefix="/tasks",
    tag="tasks",
    service=task_service,
    out_model=TaskOut,
    create_model=TaskCreate,
    update_model=TaskUpdate,
    filters_model=TaskFilters,
)

api_routers = [router]
