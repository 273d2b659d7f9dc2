"""The emulated tenant: its data model, the demo identities, seeds and the role catalog."""
