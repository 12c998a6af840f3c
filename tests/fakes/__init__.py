"""Fakes of outside services for tests (real local servers, not mocks)."""
