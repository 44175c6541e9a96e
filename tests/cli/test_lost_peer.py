"""A torchrun job that loses one of its processes is told so, not called a bug."""

import riata.cli._fit as fit_command
from riata.cli import main


def test_a_lost_torchrun_peer_is_an_error_with_what_to_do(monkeypatch, capsys, tmp_path):
    def lost(args):
        raise RuntimeError("[../third_party/gloo/gloo/transport/tcp/pair.cc:534] "
                           "Connection closed by peer [127.0.0.1]:12345")

    monkeypatch.setattr(fit_command, "run", lost)
    monkeypatch.setenv("WORLD_SIZE", "2")
    code = main(["fit", "--clinical", "x.csv", "--target", "y", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2
    assert "another process of this torchrun job stopped" in err and "bug" not in err
