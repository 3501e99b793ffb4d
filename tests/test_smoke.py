from tests.world import World


def test_reporter_files_and_store_manager_sees(world: World) -> None:
    inc = world.report("reporter", "nw-brighton")
    from shopwatch.reporting.selectors import incident_queryset

    assert incident_queryset(world.viewer("manager")).filter(pk=inc.pk).exists()
    assert not incident_queryset(world.viewer("unconnected_reporter")).filter(pk=inc.pk).exists()
