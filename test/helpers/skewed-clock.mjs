// Loaded with `node --import` into a member process by the fault tests: the process's wall clock
// reads STRONGBOX_TEST_CLOCK_SKEW_MS milliseconds off, as on a machine whose clock is set wrong.
// Timers and performance.now() keep real time, as they do on such a machine. Nothing in the
// member knows about it: the member is started unchanged, only its clock lies.
const skewMs = Number(process.env.STRONGBOX_TEST_CLOCK_SKEW_MS ?? 0);
const RealDate = Date;
const realNow = RealDate.now.bind(RealDate);

class SkewedDate extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(realNow() + skewMs);
    else super(...args);
  }

  static now() {
    return realNow() + skewMs;
  }
}

globalThis.Date = SkewedDate;
