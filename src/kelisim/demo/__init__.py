"""Kelisim's demo: a lender-like site with every vendor's real snippet shape, and fake vendor hosts.

The demo exists so that the banner, the gating runtime and the scanner can be exercised end to end
without the internet: the real tracker hostnames are mapped to a loopback HTTPS server (certificate
from a local CA the demo generates), and that server behaves like the vendors do — it serves loaders
that define the vendors' globals, set their cookies and storage, and send their beacons — while
recording every request so tests can prove what reached a "vendor". Start it with `start_demo()` in
`kelisim.demo.run`, or `kelisim demo` from the command line.
"""
