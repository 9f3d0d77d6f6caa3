"""The omniq engine (engine/, a Redis module) for every redis-server the tests and benchmarks
start: `redis-server ... *loadmodule_args()`. The top-level `make` builds it into
build/engine/omniq_engine.so; OMNIQ_ENGINE names another build (the ASan one)."""
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENGINE = os.environ.get('OMNIQ_ENGINE') or os.path.join(ROOT, 'build', 'engine', 'omniq_engine.so')


# the test build whose steps answer wrong shapes on demand (engine/faults.c), built by
# `make fixtures` apart from the modules admins load
FAULTY = os.path.join(os.environ.get('OMNIQ_BUILD') or os.path.join(ROOT, 'build'),
                      'test-modules', 'omniq_engine_faults.so')


def loadmodule_args(test_clock=False, path=None):
    """redis-server arguments that load the engine (or the build at path); test_clock: the
    Redis suite's clock (time moves when a test calls Server.advance)."""
    path = path or ENGINE
    if not os.path.exists(path):
        raise RuntimeError('no omniq engine at %s: run make first' % path)
    return ['--loadmodule', path] + (['testclock'] if test_clock else [])
