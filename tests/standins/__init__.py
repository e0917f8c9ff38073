"""Local stand-ins for remote services that cannot be reached from the test environment."""
