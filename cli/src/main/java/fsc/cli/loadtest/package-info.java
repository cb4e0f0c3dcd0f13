/** {@code fsc loadtest}: open- and closed-loop load against a local {@code fsc serve}, JSON summary and SVG plot. */
package fsc.cli.loadtest;
