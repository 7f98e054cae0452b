"""Model providers behind one protocol (service.providers.base.Provider)."""
