/*
 * test_config.c — unit tests of settings parsing (common/config.h): flags,
 * MPICKPT_* variables, precedence, and the one-line errors for bad values.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/config.h"

extern char **environ;

/* Unsets every MPICKPT_* variable, so each test starts from the defaults. */
static int clear_env(void **state)
{
    (void)state;
    for (int i = 0; environ[i];) {
        if (strncmp(environ[i], "MPICKPT_", 8) != 0) {
            i++;
            continue;
        }
        char name[64];
        size_t n = strcspn(environ[i], "=");
        snprintf(name, sizeof name, "%.*s", (int)n, environ[i]);
        unsetenv(name);
    }
    return 0;
}

static void test_defaults(void **state)
{
    (void)state;
    struct mk_config cfg;
    config_defaults(&cfg);
    assert_int_equal(cfg.protocol, MK_PROTOCOL_NONE);
    assert_string_equal(cfg.dir, "./mpickpt-ckpt");
    assert_int_equal(cfg.verbose, 0);
    assert_int_equal(cfg.quiet, 0);
}

static void test_flags_set_values(void **state)
{
    (void)state;
    struct mk_config cfg;
    char err[CONFIG_ERROR_MAX];
    config_defaults(&cfg);
    assert_int_equal(config_apply_flag(&cfg, "--protocol=none", err), 1);
    assert_int_equal(config_apply_flag(&cfg, "--dir=/tmp/ck", err), 1);
    assert_int_equal(config_apply_flag(&cfg, "--verbose", err), 1);
    assert_int_equal(config_apply_flag(&cfg, "--quiet=yes", err), 1);
    assert_string_equal(cfg.dir, "/tmp/ck");
    assert_int_equal(cfg.verbose, 1);
    assert_int_equal(cfg.quiet, 1);
}

static void test_unknown_flags_are_not_settings(void **state)
{
    (void)state;
    struct mk_config cfg;
    char err[CONFIG_ERROR_MAX];
    config_defaults(&cfg);
    assert_int_equal(config_apply_flag(&cfg, "--protocolx=none", err), 0);
    assert_int_equal(config_apply_flag(&cfg, "--help", err), 0);
    assert_int_equal(config_apply_flag(&cfg, "./app", err), 0);
}

static void test_bad_choice_names_setting_value_and_choices(void **state)
{
    (void)state;
    struct mk_config cfg;
    char err[CONFIG_ERROR_MAX];
    config_defaults(&cfg);
    assert_int_equal(config_apply_flag(&cfg, "--protocol=causall", err), -1);
    assert_string_equal(err, "invalid --protocol 'causall': accepted values are none, coordinated");
    assert_int_equal(cfg.protocol, MK_PROTOCOL_NONE);
}

static void test_missing_value_and_empty_path_are_errors(void **state)
{
    (void)state;
    struct mk_config cfg;
    char err[CONFIG_ERROR_MAX];
    config_defaults(&cfg);
    assert_int_equal(config_apply_flag(&cfg, "--dir", err), -1);
    assert_non_null(strstr(err, "--dir needs a value"));
    assert_int_equal(config_apply_flag(&cfg, "--dir=", err), -1);
    assert_int_equal(config_apply_flag(&cfg, "--verbose=maybe", err), -1);
    assert_non_null(strstr(err, "invalid --verbose 'maybe'"));
}

static void test_environment_is_read_and_named_in_errors(void **state)
{
    (void)state;
    struct mk_config cfg;
    char err[CONFIG_ERROR_MAX];
    config_defaults(&cfg);
    setenv("MPICKPT_DIR", "/scratch/x", 1);
    setenv("MPICKPT_VERBOSE", "on", 1);
    assert_int_equal(config_from_env(&cfg, err), 0);
    assert_string_equal(cfg.dir, "/scratch/x");
    assert_int_equal(cfg.verbose, 1);
    setenv("MPICKPT_PROTOCOL", "bogus", 1);
    assert_int_equal(config_from_env(&cfg, err), -1);
    assert_string_equal(err, "invalid MPICKPT_PROTOCOL 'bogus': accepted values are none, coordinated");
}

static void test_export_round_trips_through_the_environment(void **state)
{
    (void)state;
    struct mk_config cfg, back;
    char err[CONFIG_ERROR_MAX];
    config_defaults(&cfg);
    assert_int_equal(config_apply_flag(&cfg, "--dir=/a/b", err), 1);
    assert_int_equal(config_apply_flag(&cfg, "--quiet", err), 1);
    assert_int_equal(config_apply_flag(&cfg, "--interval=10m", err), 1);
    assert_int_equal(config_apply_flag(&cfg, "--compress-threads=3", err), 1);
    assert_int_equal(config_export(&cfg), 0);
    config_defaults(&back);
    assert_int_equal(config_from_env(&back, err), 0);
    assert_memory_equal(&cfg, &back, sizeof cfg);
}

static void test_interval_accepts_seconds_minutes_hours(void **state)
{
    (void)state;
    static const struct { const char *flag; unsigned seconds; } ok[] = {
        { "--interval=90", 90 }, { "--interval=90s", 90 }, { "--interval=10m", 600 },
        { "--interval=2h", 7200 }, { "--interval=0", 0 },
    };
    struct mk_config cfg;
    char err[CONFIG_ERROR_MAX];
    config_defaults(&cfg);
    assert_int_equal(cfg.interval, 0);
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        assert_int_equal(config_apply_flag(&cfg, ok[i].flag, err), 1);
        assert_int_equal(cfg.interval, ok[i].seconds);
    }
}

static void test_bad_intervals_are_one_line_errors(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "--interval=", "--interval=-5", "--interval=5x", "--interval=5ms",
        "--interval=m", "--interval=99999999999h", "--interval= 5",
    };
    struct mk_config cfg;
    char err[CONFIG_ERROR_MAX];
    config_defaults(&cfg);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(config_apply_flag(&cfg, bad[i], err), -1);
        assert_non_null(strstr(err, "invalid --interval"));
        assert_null(strchr(err, '\n'));
    }
    assert_int_equal(config_apply_flag(&cfg, "--interval", err), -1);
    setenv("MPICKPT_INTERVAL", "soon", 1);
    assert_int_equal(config_from_env(&cfg, err), -1);
    assert_non_null(strstr(err, "MPICKPT_INTERVAL 'soon'"));
}

static void test_integer_settings_check_their_range(void **state)
{
    (void)state;
    struct mk_config cfg;
    char err[CONFIG_ERROR_MAX];
    config_defaults(&cfg);
    assert_int_equal(cfg.keep, 2);
    assert_int_equal(cfg.compress_level, 1);
    assert_int_equal(cfg.compress_threads, -1);
    assert_int_equal(config_apply_flag(&cfg, "--compress-level=3", err), 1);
    assert_int_equal(config_apply_flag(&cfg, "--compress-threads=4", err), 1);
    assert_int_equal(config_apply_flag(&cfg, "--keep=5", err), 1);
    assert_int_equal(cfg.compress_level, 3);
    assert_int_equal(cfg.compress_threads, 4);
    assert_int_equal(cfg.keep, 5);
    assert_int_equal(config_apply_flag(&cfg, "--compress-threads=auto", err), 1);
    assert_int_equal(cfg.compress_threads, -1);
    static const char *const bad[] = {
        "--compress-level=0", "--compress-level=20", "--compress-level=auto",
        "--compress-threads=-1", "--compress-threads=2x", "--keep=0", "--keep=",
        "--keep=99999999999999",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(config_apply_flag(&cfg, bad[i], err), -1);
        assert_non_null(strstr(err, "an integer from"));
        assert_null(strchr(err, '\n'));
    }
    assert_int_equal(cfg.compress_level, 3);
    assert_int_equal(cfg.keep, 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_defaults, clear_env),
        cmocka_unit_test_setup(test_flags_set_values, clear_env),
        cmocka_unit_test_setup(test_unknown_flags_are_not_settings, clear_env),
        cmocka_unit_test_setup(test_bad_choice_names_setting_value_and_choices, clear_env),
        cmocka_unit_test_setup(test_missing_value_and_empty_path_are_errors, clear_env),
        cmocka_unit_test_setup(test_environment_is_read_and_named_in_errors, clear_env),
        cmocka_unit_test_setup(test_export_round_trips_through_the_environment, clear_env),
        cmocka_unit_test_setup(test_interval_accepts_seconds_minutes_hours, clear_env),
        cmocka_unit_test_setup(test_bad_intervals_are_one_line_errors, clear_env),
        cmocka_unit_test_setup(test_integer_settings_check_their_range, clear_env),
    };
    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
