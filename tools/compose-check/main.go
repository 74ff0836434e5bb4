// Command compose-check loads a Compose file with compose-go, the library `docker compose` itself uses,
// and prints the resulting project as JSON: interpolated, normalized and checked for consistency (services
// that depends_on names, volumes and networks that exist, valid healthchecks, ...). An invalid file, or a
// required variable (${VAR:?message}) that is missing, ends it with exit code 1 and the error on stderr.
//
// Unlike `docker compose config`, it reads no .env file unless asked with --env-file, so that a developer's
// own .env never leaks into a test. Variables come from the process environment, then the env files.
//
//	compose-check [--env-file FILE]... [--profile NAME]... COMPOSE_FILE
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
)

type repeated []string

func (r *repeated) String() string     { return strings.Join(*r, ",") }
func (r *repeated) Set(v string) error { *r = append(*r, v); return nil }

func main() {
	var envFiles, profiles repeated
	flag.Var(&envFiles, "env-file", "an env file to read for interpolation (repeatable)")
	flag.Var(&profiles, "profile", "a profile to enable (repeatable)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: compose-check [--env-file FILE]... [--profile NAME]... COMPOSE_FILE")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := check(flag.Arg(0), envFiles, profiles); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func check(file string, envFiles, profiles []string) error {
	path, err := filepath.Abs(file)
	if err != nil {
		return err
	}
	fns := []cli.ProjectOptionsFn{
		cli.WithWorkingDirectory(filepath.Dir(path)),
		cli.WithOsEnv,
	}
	if len(envFiles) > 0 {
		fns = append(fns, cli.WithEnvFiles(envFiles...), cli.WithDotEnv)
	}
	fns = append(fns, cli.WithProfiles(profiles))
	options, err := cli.NewProjectOptions([]string{path}, fns...)
	if err != nil {
		return err
	}
	project, err := options.LoadProject(context.Background())
	if err != nil {
		return err
	}
	out, err := project.MarshalJSON()
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(os.Stdout, string(out))
	return err
}
