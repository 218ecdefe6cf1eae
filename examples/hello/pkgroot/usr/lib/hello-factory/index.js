#!/usr/bin/env node
// hello-factory: the example application that Packaging Factory builds, scans, signs and publishes.
// Plain JavaScript with no build step, so the staged tree is exactly what gets installed.

import { readFileSync } from 'node:fs';
import ansiHTML from 'ansi-html';
import minimist from 'minimist';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));

const USAGE = `Usage: hello-factory [--version] [--help]
       hello-factory greet NAME [--shout] [--html]`;

function main(argv) {
  const args = minimist(argv, { boolean: ['version', 'help', 'shout', 'html'], alias: { v: 'version', h: 'help' } });
  if (args.version) {
    process.stdout.write(`${version}\n`);
    return 0;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const [command, ...rest] = args._.map(String);
  if (command === 'greet') {
    const name = rest.join(' ').trim();
    if (name === '') {
      process.stderr.write(`hello-factory: greet needs a NAME\n${USAGE}\n`);
      return 2;
    }
    let greeting = `Hello, ${name}!`;
    if (args.shout) greeting = greeting.toUpperCase();
    // ansi-html turns the bold escape sequence into an HTML span, for pasting into a web page.
    process.stdout.write(args.html ? `${ansiHTML(`\u001b[1m${greeting}\u001b[22m`)}\n` : `${greeting}\n`);
    return 0;
  }
  const problem = command === undefined ? 'no command given' : `unknown command '${command}'`;
  process.stderr.write(`hello-factory: ${problem}\n${USAGE}\n`);
  return 2;
}

process.exitCode = main(process.argv.slice(2));
