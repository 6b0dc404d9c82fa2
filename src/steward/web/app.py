from fastapi import FastAPI

from steward.config import Settings


def install(app: FastAPI, settings: Settings) -> None:
    pass
