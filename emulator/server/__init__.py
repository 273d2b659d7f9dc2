"""The emulator process: command line, HTTP(S) servers, front doors, shared state, faults,
the control surface and the pages a browser sees.
"""
