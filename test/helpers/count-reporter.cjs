'use strict'
/**
 * Mocha's spec reporter for humans, plus the run's counts written as JSON to the file named by
 * MOCHA_COUNT_FILE, so .ci/run can print `tests: N passed, M failed` from the real run.
 * CommonJS because mocha loads reporters with require().
 */
const fs = require('node:fs')
const Mocha = require('mocha')

class CountReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options)
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const file = process.env.MOCHA_COUNT_FILE
      if (file) fs.writeFileSync(file, JSON.stringify(this.stats))
    })
  }
}

module.exports = CountReporter
