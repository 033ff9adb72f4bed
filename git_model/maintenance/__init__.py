"""Keeping a store healthy over years: liveness, gc, remote verification."""
