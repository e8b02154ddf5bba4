"""FastAPI routers, one per transport concern."""
