"""Placeholder: rules land here (see the module's issue)."""
