"""A small Generic-format Task Table for preparation tests (independent of the sample folder)."""

from __future__ import annotations


def _alternative(order: int, file_type: str, policy: str = "LatestValCover", t0: float = 0, t1: float = 0) -> str:
    return (f"<Alternative><Order>{order}</Order><Origin>DB</Origin><Retrieval_Mode>{policy}</Retrieval_Mode>"
            f"<T0>{t0}</T0><T1>{t1}</T1><File_Type>{file_type}</File_Type>"
            f"<File_Name_Type>Physical</File_Name_Type></Alternative>")


def _input(alternatives: list[str], *, mandatory: bool = True, ident: str = "", mode: str = "ALWAYS") -> str:
    id_attribute = f' id="{ident}"' if ident else ""
    return (f"<Input{id_attribute}><Mode>{mode}</Mode><Mandatory>{'Yes' if mandatory else 'No'}</Mandatory>"
            f"<List_of_Alternatives>{''.join(alternatives)}</List_of_Alternatives></Input>")


def table_xml(*, name: str = "TEST_L1", version: str = "1.0", main: str = "IW_RAW__0S",
               main_policy: str = "LatestValCover", extra_inputs: int = 0) -> bytes:
    """Main input (mandatory), AUX_CAL (mandatory), Orbit AUX_POE | AUX_RES (optional), `extra_inputs` aux."""
    inputs = [_input([_alternative(1, main, main_policy)]),
              _input([_alternative(1, "AUX_CAL")], ident="AUX_CAL"),
              _input([_alternative(1, "AUX_POE", t1=60), _alternative(2, "AUX_RES", t1=60)], mandatory=False,
                     ident="Orbit")]
    inputs += [_input([_alternative(1, f"AUX_E{n:02d}")], ident=f"E{n:02d}") for n in range(extra_inputs)]
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Ipf_Task_Table>
  <Processor_Name>{name}</Processor_Name><Version>{version}</Version><Test>No</Test>
  <Min_Disk_Space units="MB">100</Min_Disk_Space><Max_Time>600</Max_Time>
  <List_of_Dyn_ProcParam><Dyn_ProcParam><Param_Name>Mission_Id</Param_Name><Param_Type>String</Param_Type>
    <Param_Default>S1A</Param_Default></Dyn_ProcParam></List_of_Dyn_ProcParam>
  <List_of_Pools><Pool><Detached>false</Detached><Killing_Signal>15</Killing_Signal><List_of_Tasks><Task>
    <Name>T1</Name><Version>{version}</Version><Critical>true</Critical><Criticality_Level>2</Criticality_Level>
    <File_Name>/bin/true</File_Name>
    <List_of_Inputs>{''.join(inputs)}</List_of_Inputs>
    <List_of_Outputs><Output><Destination>DB</Destination><Mandatory>Yes</Mandatory><Type>IW_GRDH_1S</Type>
      <File_Name_Type>Directory</File_Name_Type></Output></List_of_Outputs>
  </Task></List_of_Tasks></Pool></List_of_Pools>
</Ipf_Task_Table>""".encode()
