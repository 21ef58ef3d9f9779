/** The word count's functions through flinkx/testing: the operators the job runs, without a cluster. */
import type { DataStream } from 'flinkx';
import { OperatorTestHarness } from 'flinkx/testing';
import { tokenize, type WordCount } from './functions';

const wordCount = (lines: DataStream<string>) => lines.flatMap(tokenize).keyBy('word').sum('count').uid('counts');

test('tokenize lowercases and splits on anything but letters and digits, as the built-in does', () => {
  const h = OperatorTestHarness.of<string, WordCount>((lines) => lines.flatMap(tokenize));
  h.processElements(['Straße, über--Straße!', '', '  42 x1 ']);
  expect(h.extractOutputValues().map((w) => w.word)).toEqual(['straße', 'über', 'straße', '42', 'x1']);
});

test('the counts are a changelog whose last value per word, and whose state, is the word count', () => {
  const lines = ['the quick fox', 'The lazy dog', 'the end'];
  const h = OperatorTestHarness.of(wordCount).processElements(lines);
  const expected = new Map<string, number>();
  for (const w of lines.join(' ').toLowerCase().split(' ')) expected.set(w, (expected.get(w) ?? 0) + 1);
  const last = new Map(h.extractOutputValues().map((r) => [r.word, r.count]));
  expect(last).toEqual(expected);
  expect(new Map([...h.keyedState<WordCount>('counts')].map(([k, v]) => [k, v.count]))).toEqual(expected);
});
